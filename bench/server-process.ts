// The real server as a child process, started the way `npm start` does
// (node --import tsx server/main.ts) on a loopback port the OS picks.
// Its log goes to a file rather than a pipe: the storm makes one log line per
// request, and draining a pipe would cost the benchmark process CPU that the
// load generator needs on a 2-core machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The server as `npm start` runs it: the bundle `npm run build` writes, built
// once per bench run. BENCH_FROM_SOURCE=1 runs server/main.ts through tsx
// instead (CPU profiles then name the source files).
const FROM_SOURCE = process.env.BENCH_FROM_SOURCE === '1';
let built = false;
function entry(): string[] {
  if (FROM_SOURCE) return ['--import', 'tsx', path.join(ROOT, 'server/main.ts')];
  if (!built) {
    const run = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`npm run build failed: ${run.stderr}`);
    built = true;
  }
  return ['--enable-source-maps', path.join(ROOT, 'dist/main.mjs')];
}
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  pid: number;
  url: string;
  /** Where the API answers: the admin port (PROV_ADMIN_PORT) when there is one, else `url`. */
  adminUrl: string;
  /** Milliseconds from spawn to the "listening" log line. */
  startMs: number;
  logFile: string;
  /** Peak resident set size so far (VmHWM), in MiB: the largest of the primary and its workers. */
  peakRssMiB(): number;
  /** The same, summed over the primary and its workers. */
  totalPeakRssMiB(): number;
  /** Milliseconds from spawn to the "reconciled" log line (the background start-up reconcile done). */
  reconciled(): Promise<number>;
  /** The worker processes (the primary's children); [] for a single process. */
  workerPids(): number[];
  /** SIGTERM, then SIGKILL if it has not exited in time. */
  stop(): Promise<void>;
}

/** Every child we started and have not yet seen exit, with its exit, so an abort can still end them. */
const children = new Map<ChildProcess, Promise<void>>();

export function track(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
  children.set(child, exited);
  return exited;
}

/** The process and its direct children: nginx's workers outlive a killed master, so a forced stop takes them too. */
export function family(pid: number): number[] {
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return [pid, ...kids.map(Number)];
  } catch {
    return [pid];
  }
}

/** SIGTERM (both nginx and our server shut down cleanly on it), then SIGKILL to the family after a grace period. */
export async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs = STOP_TIMEOUT_MS) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const force = family(child.pid!);
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const pid of force) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** For an abort or a failure: stops whatever is still running, quickly. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map(([child, exited]) => stopChild(child, exited, 3_000)));
}

export function readPeakRssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb[1]) / 1024;
}

function safePeak(pid: number): number {
  try {
    return readPeakRssMiB(pid);
  } catch {
    return 0; // a process that exited meanwhile
  }
}

const timeOrigin = Date.now() - performance.now();

/** Epoch ms of this start's "reconciled" line (pino's time field). */
function reconciledAt(logFile: string, offset: number): number {
  for (const line of readFrom(logFile, offset).split('\n')) {
    if (!line.includes('"reconciled"')) continue;
    return (JSON.parse(line) as { time: number }).time;
  }
  throw new Error('no reconciled line');
}

/** Waits until a line with {"msg": msg} appears in this start's part of the log. */
export async function waitForLine(logFile: string, offset: number, msg: string, dead: () => boolean, timeoutMs = START_TIMEOUT_MS): Promise<unknown[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = readFrom(logFile, offset)
      .split('\n')
      .filter((l) => l.includes(`"${msg}"`))
      .flatMap((l) => {
        try {
          const entry = JSON.parse(l) as { msg?: string };
          return entry.msg === msg ? [entry] : [];
        } catch {
          return [];
        }
      });
    if (found.length) return found;
    if (dead()) throw new Error(`server exited before logging "${msg}"`);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no "${msg}" within ${timeoutMs} ms (log: ${logFile})`);
}

export async function startServer(env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  const fd = fs.openSync(logFile, 'a');
  const offset = fs.fstatSync(fd).size;
  const started = performance.now();
  // BENCH_CPU_PROF=<dir>: every server process (workers inherit it) writes a .cpuprofile there on exit.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  if (process.env.BENCH_TRACE_GC) profile.push('--trace-gc');
  const child = spawn(process.execPath, [...profile, ...entry()], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  const exited = track(child);
  let port: number;
  let adminPort: number | null = null;
  try {
    port = await waitForListening(logFile, offset, () => child.exitCode !== null);
    if (env.PROV_ADMIN_PORT !== undefined) adminPort = await waitForListening(logFile, offset, () => child.exitCode !== null, 'admin listening');
  } catch (err) {
    await stopChild(child, exited, 3_000);
    throw err;
  }
  const startMs = performance.now() - started;
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort ?? port}`,
    startMs,
    logFile,
    peakRssMiB: () => Math.max(...family(child.pid!).map(safePeak)),
    totalPeakRssMiB: () => family(child.pid!).map(safePeak).reduce((a, b) => a + b, 0),
    reconciled: async () => {
      await waitForLine(logFile, offset, 'reconciled', () => child.exitCode !== null);
      return reconciledAt(logFile, offset) - (timeOrigin + started);
    },
    workerPids: () => family(child.pid!).slice(1),
    stop: () => stopChild(child, exited),
  };
}

/** Polls the log (from `offset`, this start's own lines) for {"msg":"listening","port":…} (or another `msg`). */
async function waitForListening(logFile: string, offset: number, dead: () => boolean, msg = 'listening'): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = readFrom(logFile, offset);
    for (const line of text.split('\n')) {
      if (!line.includes(`"${msg}"`)) continue;
      let entry: { msg?: string; port?: number };
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // a line still being written; the next poll sees it whole
      }
      if (entry.msg === msg && entry.port) return entry.port;
    }
    if (dead()) throw new Error(`server exited before listening:\n${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`server did not log "${msg}" within ${START_TIMEOUT_MS} ms (log: ${logFile})`);
}

function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size - offset;
    const buf = Buffer.alloc(Math.max(0, size));
    fs.readSync(fd, buf, 0, buf.length, offset);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
