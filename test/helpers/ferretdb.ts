// FerretDB, the MongoDB-protocol server the MongoDB half of the tests runs
// against when MONGODB_URI names none (docs/testing.md). Its binary lives in a
// cache outside the repository and is built there from the Go module when
// missing; each start is a fresh server on a free loopback port over a
// directory of its own, which a test may kill and start again (same port,
// same data) to play a database crash.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';

export const FERRETDB_VERSION = 'v1.24.2';
const MODULE = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;

export function ferretDbCache(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'sip-prov', 'ferretdb');
}

/** The cached binary (a file or a link to one), if it runs and is the version wanted. */
export function findFerretDb(bin = path.join(ferretDbCache(), `ferretdb-${FERRETDB_VERSION}`)): string | null {
  const run = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return run.status === 0 && run.stdout.includes(`version: ${FERRETDB_VERSION}`) ? bin : null;
}

export function findGo(): string | null {
  const onPath = spawnSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  return fs.existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null;
}

/**
 * Builds the binary into the cache. The module as published has no
 * build/version/version.txt, which the binary embeds and panics without, so
 * it is built from a writable copy with that file written. The binary is
 * built beside its final name and renamed onto it: a build running at the
 * same time, or a reader, never sees half a file.
 */
export function buildFerretDb(go: string): string {
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' };
  const sh = (cmd: string, args: string[], cwd: string) => {
    const run = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed: ${(run.stderr || run.stdout || String(run.error)).trim().slice(-2000)}`);
    return run.stdout;
  };
  const cache = ferretDbCache();
  fs.mkdirSync(cache, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-ferretdb-src-'));
  try {
    const source = (JSON.parse(sh(go, ['mod', 'download', '-json', MODULE], os.tmpdir())) as { Dir: string }).Dir;
    fs.cpSync(source, work, { recursive: true });
    sh('chmod', ['-R', 'u+w', work], work);
    fs.writeFileSync(path.join(work, 'build/version/version.txt'), `${FERRETDB_VERSION}\n`);
    const target = path.join(cache, `ferretdb-${FERRETDB_VERSION}`);
    const partial = `${target}.${process.pid}.partial`;
    sh(go, ['build', '-o', partial, './cmd/ferretdb'], work);
    fs.renameSync(partial, target);
    if (!findFerretDb(target)) throw new Error(`the FerretDB built at ${target} does not report ${FERRETDB_VERSION}`);
    return target;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export interface FerretDb {
  uri: string;
  port: number;
  dir: string;
  /** The running process's pid (the bench reads its CPU). */
  pid(): number;
  /** SIGKILL, as a crashed database; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory: the same data back. */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether a MongoDB-protocol server answers a ping at `uri` now. */
async function answers(uri: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

export async function startFerretDb(bin: string): Promise<FerretDb> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-ferretdb-'));
  fs.mkdirSync(path.join(dir, 'sqlite'));
  const port = await freePort();
  const uri = `mongodb://127.0.0.1:${port}/`;
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    let output = '';
    const c = spawn(
      bin,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dir}/sqlite/`,
        `--listen-addr=127.0.0.1:${port}`,
        `--state-dir=${dir}`,
        // These machines reach no other host.
        '--telemetry=disable',
        '--debug-addr=-',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout!.on('data', (d) => (output += d));
    c.stderr!.on('data', (d) => (output += d));
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    while (!(await answers(uri))) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`FerretDB exited at start: ${output.trim().slice(-1000)}`);
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`FerretDB did not answer on ${uri} within 30 s: ${output.trim().slice(-1000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const signal = async (sig: NodeJS.Signals) => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  try {
    await launch();
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    uri,
    port,
    dir,
    pid: () => child!.pid!,
    kill: () => signal('SIGKILL'),
    restart: launch,
    async stop() {
      const force = setTimeout(() => child?.kill('SIGKILL'), 5_000);
      await signal('SIGTERM');
      clearTimeout(force);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's buildInfo: its MongoDB version, and FerretDB's own where it is one. */
export async function buildInfo(uri: string): Promise<{ version: string; ferretdbVersion?: string }> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    return { version: String(info.version), ...(info.ferretdbVersion ? { ferretdbVersion: String(info.ferretdbVersion) } : {}) };
  } finally {
    await client.close();
  }
}

/** The server at `uri` in a few words, naming its buildInfo version. */
export async function describeServer(uri: string): Promise<string> {
  const info = await buildInfo(uri);
  return info.ferretdbVersion ? `FerretDB ${info.ferretdbVersion} (buildInfo ${info.version})` : `MongoDB ${info.version}`;
}

/** Drops a database a test or the bench made on the server at `uri`. */
export async function dropDatabase(uri: string, name: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}
