// Runs the server as a real process, the way `npm start` does.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './until.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'server/main.ts');

export interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** From the sources through tsx, or from `main`: a built bundle's main.mjs (test/helpers/build.ts). */
function spawnServer(env: Record<string, string>, main?: string): ChildProcess {
  return spawn(process.execPath, main ? ['--enable-source-maps', main] : ['--import', 'tsx', MAIN], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs a server that is expected to stop by itself (a refused boot). The
 * bound is generous: several tests start processes at once on a shared,
 * loaded machine, and only a hang should fail here.
 */
export function runToExit(env: Record<string, string>, timeoutMs = 55_000, main?: string): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawnServer(env, main);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not exit within ${timeoutMs} ms; stdout: ${stdout}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Running {
  url: string;
  output: () => string;
  /** Sends SIGTERM and waits for the exit code. */
  stop: () => Promise<number | null>;
  /** Sends `signal` (SIGKILL: a crash) and waits for the exit. */
  kill: (signal: NodeJS.Signals) => Promise<number | null>;
}

/** Starts a server and resolves once it logs that it is listening. */
// Generous: a primary and its workers each load the code, on a machine whose cores the other tests share.
export function startProcess(env: Record<string, string>, timeoutMs = 90_000, main?: string): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawnServer(env, main);
    let out = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d;
      const listening = out.split('\n').map(tryJson).find((l) => l?.msg === 'listening');
      if (!listening) return;
      clearTimeout(timer);
      resolve({
        url: `http://127.0.0.1:${listening.port}`,
        output: () => out,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
        kill: (signal) => {
          child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    void exited.then((code) => reject(new Error(`server exited with ${code} before listening: ${out}`)));
  });
}

type ListenerLine = { pid: number; msg: string; port: number; tls?: boolean };

/**
 * Waits until `workers` processes log that they listen for phones (and, with
 * `admin`, the admin port's listener too); resolves with who they are.
 */
export async function listeners(s: Running, workers: number, admin = false): Promise<{ phonePids: Set<number>; admin: ListenerLine | null }> {
  const lines = () => logLines<ListenerLine>(s);
  const phones = await until(`${workers} phone listener(s)`, () => {
    const l = lines().filter((x) => x.msg === 'listening');
    return new Set(l.map((x) => x.pid)).size === workers && l;
  }, 60_000);
  const adminLine = admin ? await until('the admin listener', () => lines().find((l) => l.msg === 'admin listening'), 60_000) : null;
  return { phonePids: new Set(phones.map((l) => l.pid)), admin: adminLine };
}

/** A server's log so far, one parsed JSON line each (anything else it printed is left out). */
export function logLines<T = { pid: number; msg: string; path?: string; status?: number }>(s: Running): T[] {
  return s.output().split('\n').map(tryJson).filter((l): l is T => l !== null);
}

function tryJson(line: string): any {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
