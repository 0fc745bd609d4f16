// Real SIP peers for tests: Kamailio run in the foreground from a config in
// examples/kamailio/, and sipp as a phone. Ports are picked free at run time
// and every process is killed, with its children, at teardown.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { ROOT } from './process.ts';

/** A UDP port nobody holds right now (the OS's pick, released for the peer to bind). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function scratch(t: ExecutionContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Kills the process group (the peer and whatever it forked) and waits for the leader. */
function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
    }, 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

/** One OPTIONS over UDP; true when a 200 comes back within `ms`. */
function optionsPing(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('message', (msg) => done(msg.toString().startsWith('SIP/2.0 200')));
    socket.on('error', () => done(false));
    socket.bind(0, '127.0.0.1', () => {
      const local = socket.address().port;
      const id = `${Date.now()}${Math.random()}`;
      const req = [
        `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${id.replace(/\D/g, '')}`,
        'Max-Forwards: 70',
        `From: <sip:ping@127.0.0.1>;tag=${local}`,
        `To: <sip:127.0.0.1:${port}>`,
        `Call-ID: ping-${id}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(req, port, '127.0.0.1');
    });
  });
}

export interface Kamailio {
  port: number;
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts examples/kamailio/<config> in the foreground with -A defines, once it answers OPTIONS. */
export async function startKamailio(
  t: ExecutionContext,
  config: string,
  defines: Record<string, string | number>,
): Promise<Kamailio> {
  const dir = scratch(t, 'kamailio-');
  const port = await freeUdpPort();
  const args = ['-f', path.join(ROOT, 'examples/kamailio', config), '-DD', '-E', '-l', `udp:127.0.0.1:${port}`];
  args.push('-Y', dir, '-P', path.join(dir, 'kamailio.pid'), '-m', '32', '-M', '4');
  for (const [name, value] of Object.entries(defines)) {
    args.push('-A', typeof value === 'number' ? `${name}=${value}` : `${name}="${value}"`);
  }
  const child = spawn('/usr/sbin/kamailio', args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const stop = () => killGroup(child);
  t.teardown(stop);
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`kamailio exited with ${child.exitCode}: ${out}`);
    if (await optionsPing(port, 300)) return { port, output: () => out, stop };
  }
  throw new Error(`kamailio did not answer OPTIONS on ${port}: ${out}`);
}

export interface SippResult {
  code: number | null;
  output: string;
}

/** A REGISTER, challenged, answered with Digest from user/password; the scenario expects `final`. */
function registerScenario(final: number, expires: number): string {
  const request = (cseq: number, auth: string) => `
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[service]@[remote_ip]>;tag=[pid]SIPpTag[call_number]
      To: <sip:[service]@[remote_ip]>
      Call-ID: [call_id]
      CSeq: ${cseq} REGISTER
      Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Expires: ${expires}
      User-Agent: Yealink SIP-T46S 66.86.0.15
${auth}      Content-Length: 0

    ]]>
  </send>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register">
${request(1, '')}
  <recv response="401" auth="true"/>
${request(2, '      [authentication]\n')}
  <recv response="${final}"/>
</scenario>
`;
}

export interface SipAccount {
  /** The user part registered (To and From), Yealink's account.N.user_name. */
  user: string;
  /** The Digest user, Yealink's account.N.auth_name. */
  authUser: string;
  password: string;
}

/** Runs sipp as a phone registering an account; code 0 when the final answer was `expect`. */
export async function sippRegister(
  t: ExecutionContext,
  registrarPort: number,
  { user, authUser, password }: SipAccount,
  expect: 200 | 401 | 403,
  /** Expires: 0 unregisters; a fixed local port keeps the phone's Contact the same from one REGISTER to the next. */
  options: { expires?: number; localPort?: number } = {},
): Promise<SippResult> {
  const dir = scratch(t, 'sipp-');
  const scenario = path.join(dir, 'register.xml');
  fs.writeFileSync(scenario, registerScenario(expect, options.expires ?? 60));
  const args = [`127.0.0.1:${registrarPort}`, '-sf', scenario, '-m', '1', '-i', '127.0.0.1', '-s', user];
  if (options.localPort) args.push('-p', String(options.localPort));
  args.push('-au', authUser, '-ap', password, '-nostdin', '-timeout', '20s', '-timeout_error', '-trace_err', '-trace_msg');
  const child = spawn('/usr/bin/sipp', args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => killGroup(child));
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  // What went over the wire, for the assertion message when a test fails.
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.log'))) out += `\n--- ${f}\n${fs.readFileSync(path.join(dir, f), 'utf8')}`;
  return { code, output: out };
}
