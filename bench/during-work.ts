// The event-loop delay phones would feel while the server does heavy admin
// work: a few phones keep fetching, and each worker reports its delay over
// exactly that time.
import fs from 'node:fs';
import autocannon from 'autocannon';
import { waitForLine, type ServerProcess } from './server-process.ts';
import type { Target } from './storm.ts';

/**
 * Runs `work` (a reload, an import) while a few phones keep fetching, and reads each
 * worker's event-loop delay over that time: SIGUSR2 before resets each
 * worker's histogram, SIGUSR2 after makes it log max and p99.
 */
export async function duringWork<T>(server: ServerProcess, targets: Target[], work: () => Promise<T>) {
  const pids = server.workerPids().length ? server.workerPids() : [server.pid];
  const signalAll = () => pids.forEach((pid) => process.kill(pid, 'SIGUSR2'));
  signalAll();
  await new Promise((r) => setTimeout(r, 200));
  const offset = fs.statSync(server.logFile).size;
  let next = 0;
  let finished: (r: autocannon.Result) => void = () => {};
  const done = new Promise<autocannon.Result>((resolve) => (finished = resolve));
  const probe = autocannon(
    {
      url: server.url,
      connections: 4,
      duration: 3600,
      requests: [
        {
          setupRequest: (req) => {
            const t = targets[next++ % targets.length]!;
            return { ...req, path: t.path, headers: { 'user-agent': t.userAgent, authorization: t.authorization } };
          },
        },
      ],
    },
    (_err, r) => finished(r),
  );
  let result: T;
  try {
    result = await work();
  } finally {
    // Also when the work failed: a running probe would keep this process alive.
    probe.stop();
  }
  const figures = await done;
  signalAll();
  const lines = (await waitForLine(server.logFile, offset, 'event-loop delay', () => false, 10_000)) as { pid: number; maxMs: number; p99Ms: number }[];
  // Every worker's line, once they are all written.
  for (let i = 0; i < 100 && new Set(lines.map((l) => l.pid)).size < pids.length; i++) {
    await new Promise((r) => setTimeout(r, 50));
    lines.splice(0, lines.length, ...((await waitForLine(server.logFile, offset, 'event-loop delay', () => false, 1000)) as typeof lines));
  }
  const delays = lines.filter((l) => pids.includes(l.pid)).map((l) => ({ pid: l.pid, maxMs: l.maxMs, p99Ms: l.p99Ms }));
  return { result, delays, probe: { requests: figures.requests.total, p99Ms: figures.latency.p99, maxMs: figures.latency.max, non2xx: figures.non2xx } };
}
