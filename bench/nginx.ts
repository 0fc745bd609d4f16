// nginx as the yardstick: the same bytes our server rendered, served as
// static files from a temp directory by a throw-away nginx with its own
// config, pid, logs and temp paths, so it touches nothing of the system's.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pool } from './admin.ts';
import { stopChild, track } from './server-process.ts';
import type { Target } from './storm.ts';

export function findNginx(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || null : null;
}

/** Fetches every target once from our server and writes the body under root/, at the same path. */
export async function mirror(baseUrl: string, targets: readonly Target[], root: string, concurrency: number) {
  let bytes = 0;
  await pool(targets, concurrency, async (t) => {
    const res = await fetch(baseUrl + t.path, { headers: { 'user-agent': t.userAgent, authorization: t.authorization } });
    if (res.status !== 200) throw new Error(`mirror: GET ${t.path} answered ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    bytes += body.length;
    const file = path.join(root, t.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
  });
  return { files: targets.length, bytes };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });
}

function config(dir: string, root: string, port: number, workers: number): string {
  // One worker per core, access log on (our server logs every request too),
  // keep-alive unlimited for the storm's long-lived connections.
  return `daemon off;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types { text/plain cfg; }
  default_type application/octet-stream;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    # The Digest path's yardstick: a request without credentials gets a bare
    # 401 with a challenge, one with credentials the file (nginx checks none).
    location ${DIGEST_PREFIX}/ {
      if ($http_authorization = "") {
        add_header WWW-Authenticate 'Digest realm="provisioning", qop="auth", nonce="static", algorithm=SHA-256' always;
        return 401;
      }
      alias ${root}/;
    }
  }
}
`;
}

export interface Nginx {
  url: string;
  /** The master's; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx on a free loopback port and waits until it answers `probePath` with 200. */
/** nginx serves the same files under this prefix as the Digest path (401, then the file). */
export const DIGEST_PREFIX = '/digest';

export async function startNginx(bin: string, dir: string, root: string, probePath: string, workers = os.availableParallelism()): Promise<Nginx> {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, config(dir, root, port, workers));
  let stderr = '';
  const child = spawn(bin, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = track(child);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(url + probePath);
      await res.arrayBuffer();
      if (res.status === 200) break;
      throw new Error(`nginx answered ${res.status} for ${probePath}: ${fs.readFileSync(path.join(dir, 'error.log'), 'utf8')}`);
    } catch (err) {
      if (!(err instanceof TypeError) || Date.now() > deadline) {
        await stopChild(child, exited, 3_000);
        throw err;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // SIGTERM is nginx's fast shutdown; the master ends its workers.
  return { url, pid: child.pid!, stop: () => stopChild(child, exited) };
}
