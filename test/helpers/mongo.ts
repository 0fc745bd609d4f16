// The MongoDB half of the tests: the run's server (MONGODB_URI, which
// test/tools/with-mongodb.ts points at a FerretDB it started when none was
// given), a database of each test's own that goes when the test ends, and
// server instances on it, each a process started from one build.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { buildServer } from './build.ts';
import { dropDatabase } from './ferretdb.ts';
import { startProcess, type Running } from './process.ts';
import { readAnswer, tempDir, type ApiResponse } from './server.ts';
import { cfgGet, readYealinkCfg } from './yealink-cfg-reader.ts';

/** The server the MongoDB half runs against; null when the half is skipped. */
export const mongoUri: string | null = process.env.MONGODB_URI || null;

/** A database name of its own for one test (or one store), dropped by dropDatabase() (ferretdb.ts). */
export const testDatabase = () => `prov_test_${randomUUID().slice(0, 8)}`;


/** What every instance of one installation shares: the database, the key, the admin token, the balancer's URL. */
export function sharedEnv(t: ExecutionContext, uri: string): Record<string, string> {
  const database = testDatabase();
  t.teardown(() => dropDatabase(uri, database));
  return {
    MONGODB_URI: uri,
    PROV_MONGODB_DB: database,
    PROV_SECRET_KEY: randomBytes(32).toString('base64'),
    PROV_ADMIN_TOKEN: randomBytes(24).toString('hex'),
    PROV_PUBLIC_URL: 'http://prov.example.com',
    PROV_ALLOW_BASIC_OVER_HTTP: 'true',
    // Sweeps only on request: a scheduled one must not move versions mid-test.
    PROV_SWEEP_MINUTES: '0',
  };
}

export interface Instance extends Running {
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** A phone asking for its MAC file, with its credentials ("user:password") or none. */
  phone(mac: string, credentials?: string): Promise<ApiResponse>;
}

const colons = (mac: string) => mac.match(/../g)!.join(':');

/** One server process from the one build, on a data folder of its own; stopped when the test ends. */
export async function startInstance(t: ExecutionContext, env: Record<string, string>, workers = 1): Promise<Instance> {
  const running = await startProcess({ ...env, PROV_DATA_DIR: tempDir(), PROV_WORKERS: String(workers) }, 90_000, buildServer());
  t.teardown(() => running.kill('SIGKILL'));
  const token = env.PROV_ADMIN_TOKEN!;
  return {
    ...running,
    async api(method, path, body) {
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return readAnswer(await fetch(running.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
    },
    async phone(mac, credentials) {
      const headers: Record<string, string> = { 'user-agent': `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}` };
      if (credentials) headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      return readAnswer(await fetch(`${running.url}/prov/${mac}.cfg`, { headers }));
    },
  };
}

/** A setup step's answer, which must have this status; otherwise the error names what the server logged. */
export async function must(s: Instance, p: Promise<ApiResponse>, status: number): Promise<ApiResponse> {
  const r = await p;
  if (r.status === status) return r;
  throw new Error(`setup: ${r.status} ${r.text}\n${loggedErrors(s)}`);
}

/** What the instance logged as an error, to say why an answer was not the one expected. */
export const loggedErrors = (s: Running) => s.output().split('\n').filter((l) => /"level":(50|60)/.test(l)).join('\n');

/** Extension 1001 with the Yealink `mac` on it, created through `s`; the phone's credentials ("user:password"). */
export async function provision(s: Instance, mac: string, secret: string): Promise<string> {
  await must(s, s.api('POST', '/api/extensions', { number: '1001', secret, server: { host: 'pbx.example.com' } }), 201);
  await must(s, s.api('POST', '/api/devices', { mac, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] }), 201);
  const { json } = await must(s, s.api('GET', `/api/devices/${mac}/credentials`), 200);
  return `${json.user}:${json.password}`;
}

/** The SIP password in a Yealink MAC file. */
export const password = (cfg: string) => cfgGet(readYealinkCfg(cfg), 'account.1.password');
