// Real SIP peers for the notifier's tests: sipp (Debian's sip-tester) as
// phones and Kamailio as a registrar, each on a free port chosen at run time,
// in a temp directory, killed and cleaned up in teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT } from './process.ts';
import { tempDir } from './server.ts';

export const SCENARIOS = path.join(ROOT, 'test/notify/scenarios');

/**
 * A server that sends check-sync straight to sipp phones, with timers small
 * enough that a silent phone fails in under two seconds instead of minutes.
 */
export const DIRECT_NOTIFY_ENV = {
  PROV_NOTIFY: 'direct',
  PROV_NOTIFY_JITTER_MS: '0',
  PROV_NOTIFY_RATE: '50',
  PROV_NOTIFY_T1_MS: '40',
  PROV_NOTIFY_T2_MS: '160',
  PROV_NOTIFY_TIMER_F_MS: '2000',
  PROV_NOTIFY_BACKOFF_MS: '100,100',
  PROV_ALLOW_BASIC_OVER_HTTP: 'true',
  PROV_SWEEP_MINUTES: '0',
};

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A port free for TCP listening; a client's connection may hold a UDP-free port as its local end. */
async function freeTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Waits until something is bound to 127.0.0.1:port over UDP, or listens on it
 * over TCP (read from /proc, sending nothing). A TCP socket counts only in
 * the LISTEN state: another program's connection can have the same local port.
 */
async function udpBound(port: number, child: ChildProcess, what: string, output: () => string, proto: 'udp' | 'tcp' = 'udp'): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const LISTEN = '0A';
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${output()}`);
    const table = fs.readFileSync(`/proc/net/${proto}`, 'utf8');
    const bound = table.split('\n').some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(`:${hex}`) && (proto === 'udp' || f[3] === LISTEN);
    });
    if (bound) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not bind UDP ${port}: ${output()}`);
}

export interface Received {
  at: string;
  text: string;
  startLine: string;
  header(name: string): string | undefined;
}

/**
 * The NOTIFY transactions among `msgs`, one entry per Via branch with how many
 * copies came. Over UDP a copy is Timer E doing its job: with the tests' T1 of
 * 40 ms, a busy machine retransmits before it reads the 200 already waiting in
 * its socket, so "one NOTIFY" means one transaction, not one datagram.
 */
export function notifyTransactions(msgs: Received[]): (Received & { copies: number })[] {
  const byBranch = new Map<string, Received & { copies: number }>();
  for (const m of msgs) {
    if (!m.startLine.startsWith('NOTIFY ')) continue;
    const branch = /;branch=([^;\s]+)/.exec(m.header('Via') ?? '')?.[1] ?? `no-branch-${byBranch.size}`;
    const seen = byBranch.get(branch);
    if (seen) {
      if (seen.text !== m.text) throw new Error(`two different NOTIFYs share the branch ${branch}`);
      seen.copies++;
    } else byBranch.set(branch, { ...m, copies: 1 });
  }
  return [...byBranch.values()];
}

export interface Sipp {
  port: number;
  /** SIP messages sipp received, in order (retransmissions included). */
  received(): Received[];
  /** Resolves with sipp's exit code once it has handled its calls. */
  exited: Promise<number | null>;
  output(): string;
}

function parseLog(file: string): Received[] {
  if (!fs.existsSync(file)) return [];
  const parts = fs.readFileSync(file, 'latin1').split(/^-{20,} (.+)$/m);
  const out: Received[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const body = parts[i + 1]!;
    if (!/message received/.test(body.split('\n')[1] ?? '')) continue;
    const text = body.split('\n').slice(3).join('\n').trim();
    const lines = text.split(/\r?\n/);
    out.push({
      at: parts[i]!.trim(),
      text,
      startLine: lines[0]!,
      header: (name) => {
        const line = lines.find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'));
        return line?.slice(name.length + 1).trim();
      },
    });
  }
  return out;
}

function track(t: ExecutionContext, child: ChildProcess, dir: string) {
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(async () => {
    // Each peer leads its own process group, so Kamailio's workers go with it.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
    if (child.exitCode === null && child.signalCode === null) await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { exited, output: () => out };
}

/** sipp running `scenario` (a file in test/notify/scenarios) on a free UDP port. */
export async function startSipp(
  t: ExecutionContext,
  scenario: string,
  o: { calls?: number; remote?: string; keys?: Record<string, string>; port?: number; tcp?: boolean } = {},
): Promise<Sipp> {
  const port = o.port ?? (o.tcp ? await freeTcpPort() : await freeUdpPort());
  const dir = tempDir('prov-sipp-');
  const log = path.join(dir, 'messages.log');
  const args = ['-sf', path.join(SCENARIOS, scenario), '-i', '127.0.0.1', '-p', String(port), '-nostdin', '-trace_msg', '-message_file', log];
  if (o.calls) args.push('-m', String(o.calls));
  if (o.tcp) args.push('-t', 't1');
  for (const [k, v] of Object.entries(o.keys ?? {})) args.push('-key', k, v);
  if (o.remote) args.push(o.remote);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const { exited, output } = track(t, child, dir);
  // A UAC sends at once; a UAS must be listening before the test goes on.
  if (!o.remote) await udpBound(port, child, 'sipp', output, o.tcp ? 'tcp' : 'udp');
  return { port, received: () => parseLog(log), exited, output };
}

export interface Kamailio {
  port: number;
  output(): string;
}

/** Kamailio in the foreground with examples/kamailio/notify-proxy.cfg on a free UDP port. */
export async function startKamailio(t: ExecutionContext): Promise<Kamailio> {
  const port = await freeUdpPort();
  const dir = tempDir('prov-kamailio-');
  const cfg = path.join(ROOT, 'examples/kamailio/notify-proxy.cfg');
  const child = spawn(
    'kamailio',
    ['-DD', '-E', '-f', cfg, '-Y', dir, '-P', path.join(dir, 'kamailio.pid'), '-m', '16', '-M', '4',
      '-A', `LISTEN=udp:127.0.0.1:${port}`, '-A', 'PROV_SERVER_IP="127.0.0.1"', '-A', 'CHILDREN=1'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const { output } = track(t, child, dir);
  await udpBound(port, child, 'kamailio', output);
  return { port, output };
}
