// The floor under any Node.js server on this machine: node:cluster with the
// same number of workers, answering each mirrored file from memory with the
// same headers we send, and doing nothing else (no credentials, no store, no
// log line). Stormed like the other two targets, it shows how much of the gap
// to nginx is Node's HTTP machinery itself and how much is ours.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopChild, track } from './server-process.ts';

const SCRIPT = `
import cluster from 'node:cluster';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
const [root, workers] = [process.env.FLOOR_ROOT, Number(process.env.FLOOR_WORKERS)];
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on('message', (_w, m) => { if (m.port && ++ready === workers) console.log('FLOOR-PORT ' + m.port); });
  process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill('SIGTERM'); process.exit(0); });
} else {
  const files = new Map();
  const walk = (dir) => { for (const e of fs.readdirSync(dir, { withFileTypes: true })) { const p = path.join(dir, e.name); if (e.isDirectory()) walk(p); else files.set('/' + path.relative(root, p), fs.readFileSync(p)); } };
  walk(root);
  const server = http.createServer((req, res) => {
    const body = files.get(req.url);
    if (!body) { res.writeHead(404, { 'Content-Length': 0 }); res.end(); return; }
    res.writeHead(200, { 'Cache-Control': 'no-store', ETag: '"floor"', 'Content-Type': 'text/plain', 'Content-Length': body.length });
    res.end(body);
  });
  server.listen(Number(process.env.FLOOR_PORT ?? 0), '127.0.0.1', () => process.send({ port: server.address().port }));
}
`;

export interface NodeFloor {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startNodeFloor(dir: string, root: string, workers: number): Promise<NodeFloor> {
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, 'floor.mjs');
  fs.writeFileSync(script, SCRIPT);
  // Workers share one port: the first one's, passed on to the others by the cluster module.
  const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH ?? '', FLOOR_ROOT: root, FLOOR_WORKERS: String(workers), FLOOR_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Node floor server did not start: ${out}`)), 15_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /FLOOR-PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`the Node floor server exited with ${code}: ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop: () => stopChild(child, exited) };
}
