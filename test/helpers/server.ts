// Starts the real server (assembled exactly as the server process does) on a real port
// over a fresh data directory, and records every log line it writes.
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../server/config.ts';
import type { SweepJob } from '../../server/jobs/sweep-job.ts';
import type { EventBus } from '../../server/provisioning/change/events.ts';
import { assemble } from '../../server/assemble.ts';
import { ADMIN_TOKEN_FILE } from '../../server/provisioning/tokens/first-admin-token.ts';
import { listen } from '../../server/http/listeners.ts';

export interface TestServer {
  url: string;
  /** The HTTPS listener's base URL when PROV_TLS_CERT/KEY were given, else null. */
  tlsUrl: string | null;
  dataDir: string;
  adminToken: string;
  logs: string[];
  /** The instance's render sweep job, to run a sweep on demand. */
  sweep: SweepJob;
  /** The instance's in-process event bus, to publish what another part (the notifier) would. */
  events: EventBus;
  api: (method: string, path: string, options?: RequestOptions) => Promise<ApiResponse>;
  close: () => Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is instead of JSON.stringify(body). */
  raw?: string;
  /** Bearer token; defaults to the admin token, null sends none. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

// Every folder a test makes goes when its worker process ends, however the
// test ended; ava runs each test file in its own process.
const made = new Set<string>();
process.once('exit', () => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'prov-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

export async function startServer(
  options: { dataDir?: string; env?: Record<string, string>; clock?: () => Date } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadConfig({ PROV_DATA_DIR: dataDir, PORT: '0', PROV_TLS_PORT: '0', HOST: '127.0.0.1', ...options.env });
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const built = await assemble(config, { log, clock: options.clock });
  // PROV_TLS_PORT 0 in tests: the HTTPS listener takes a free port too.
  const servers: Server[] = await listen(built.app, config);
  const portOf = (server: Server) => (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${portOf(servers[0]!)}`;
  const tlsUrl = servers[1] ? `https://127.0.0.1:${portOf(servers[1])}` : null;
  const tokenFile = path.join(dataDir, ADMIN_TOKEN_FILE);
  const adminToken = options.env?.PROV_ADMIN_TOKEN ?? fs.readFileSync(tokenFile, 'utf8').trim();

  async function api(method: string, urlPath: string, o: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? adminToken : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = o.raw;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return readAnswer(await fetch(url + urlPath, { method, headers, body }));
  }

  return {
    url,
    tlsUrl,
    dataDir,
    adminToken,
    logs,
    sweep: built.sweep,
    events: built.events,
    api,
    close: async () => {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await built.close();
    },
  };
}

/** A response read whole: its text, and its JSON when it is JSON. */
export async function readAnswer(res: Response): Promise<ApiResponse> {
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A valid extension body, with overrides. */
export function extensionBody(number: string, extra: Record<string, unknown> = {}) {
  return { number, server: { host: 'pbx.example.com' }, ...extra };
}
