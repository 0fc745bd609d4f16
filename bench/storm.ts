// The fetch storm: every device asks for its credential-bearing file with its
// own User-Agent, over a fixed number of keep-alive connections for a fixed
// time. The same storm runs against our server and against nginx, so the two
// sets of figures compare like with like. autocannon runs in this process:
// on a 2-core machine the load generator shares the CPU with the target,
// which holds for both targets alike.
import fs from 'node:fs';
import autocannon from 'autocannon';
import { family } from './server-process.ts';

export interface Target {
  path: string;
  userAgent: string;
  /** The phone's own credentials, as a phone past its claim window sends them. */
  authorization: string;
}

export interface StormOptions {
  connections: number;
  seconds: number;
  /** A short unmeasured run first, so neither target is measured cold (JIT, page cache). */
  warmupSeconds: number;
}

export interface StormFigures {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers other than 200, plus connection errors and timeouts. */
  non200: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  bytesPerSecond: number;
  /** CPU the target and this process (the load generator) used, in cores busy on average. */
  targetCores: number;
  loadGeneratorCores: number;
}

/** User + system CPU seconds of the process and its children (nginx's workers), from /proc. */
export function cpuSeconds(pid: number): number {
  const ticks = (p: number) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  };
  return family(pid).reduce((sum, p) => sum + ticks(p), 0) / 100; // USER_HZ is 100 on Linux
}

/** A fixed pseudo-random order (no Math.random), so two runs ask in the same order. */
export function shuffled<T>(items: readonly T[], seed = 12345): T[] {
  const out = [...items];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function fire(url: string, targets: readonly Target[], connections: number, seconds: number) {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        // Called for every request: each one is the next device in the list.
        setupRequest: (req) => {
          const t = targets[next++ % targets.length]!;
          return { ...req, method: 'GET', path: t.path, headers: { 'user-agent': t.userAgent, authorization: t.authorization } };
        },
      },
    ],
  });
}

export async function storm(url: string, pid: number, targets: readonly Target[], opts: StormOptions): Promise<StormFigures> {
  if (opts.warmupSeconds > 0) await fire(url, targets, opts.connections, opts.warmupSeconds);
  const targetCpu = cpuSeconds(pid);
  const ownCpu = process.cpuUsage();
  const r = await fire(url, targets, opts.connections, opts.seconds);
  const own = process.cpuUsage(ownCpu);
  const targetCores = (cpuSeconds(pid) - targetCpu) / r.duration;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = count ?? 0;
  const non200 = Object.entries(statusCodes).reduce((n, [code, c]) => (code === '200' ? n : n + c), 0);
  return {
    requests: r.requests.total,
    requestsPerSecond: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    non200: non200 + r.errors + r.timeouts,
    statusCodes,
    errors: r.errors,
    timeouts: r.timeouts,
    bytesPerSecond: r.throughput.total / r.duration,
    targetCores,
    loadGeneratorCores: (own.user + own.system) / 1e6 / r.duration,
  };
}
