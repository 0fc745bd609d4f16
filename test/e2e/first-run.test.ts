// What a newcomer meets on the first run: `npm start` is the server process
// itself (SIGTERM stops it cleanly, exit 0, nothing left behind), a port in
// use stops the boot at once with one line and nothing written, and with
// claims off no device shows a claim window.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import { ROOT, runToExit } from '../helpers/process.ts';
import { extensionBody, startServer, tempDir } from '../helpers/server.ts';
import { selfSignedCert } from '../helpers/tls.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('npm start is the server process: SIGTERM to it stops the server with exit 0', async (t) => {
  const dataDir = tempDir();
  // npm start bundles the server into dist/ first; a bundle this test made goes with it.
  const dist = path.join(ROOT, 'dist');
  if (!fs.existsSync(dist)) t.teardown(() => fs.rmSync(dist, { recursive: true, force: true }));
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PROV_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  const listening = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  t.is((await fetch(`http://127.0.0.1:${listening.port}/healthz`)).status, 200);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.is(await exited, 0, out);
  t.true(out.includes('"msg":"shutting down"'), 'the server itself got the signal');
  for (let i = 0; i < 50 && alive(listening.pid); i++) await new Promise((r) => setTimeout(r, 100));
  t.false(alive(listening.pid), 'no server process is left behind');
});

async function holdPort(t: { teardown: (fn: () => void) => void }): Promise<number> {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.teardown(() => holder.close());
  return (holder.address() as net.AddressInfo).port;
}

test('a port in use stops the boot with one line, before anything is written', async (t) => {
  const port = await holdPort(t);
  const dataDir = path.join(tempDir(), 'data');
  const run = await runToExit({ PORT: String(port), PROV_DATA_DIR: dataDir });
  t.is(run.code, 1);
  t.is(run.stderr, `error: port ${port} is already in use\n`);
  t.is(run.stdout, '');
  t.false(fs.existsSync(dataDir), 'no data directory, token file or render was written');
});

test('an HTTPS port in use stops the boot the same way', async (t) => {
  const port = await holdPort(t);
  const { cert, key } = await selfSignedCert();
  const dataDir = path.join(tempDir(), 'data');
  const run = await runToExit({ PROV_TLS_PORT: String(port), PROV_TLS_CERT: cert, PROV_TLS_KEY: key, PROV_DATA_DIR: dataDir });
  t.is(run.code, 1);
  t.is(run.stderr, `error: port ${port} is already in use\n`);
  t.false(fs.existsSync(dataDir));
});

test('with PROV_CLAIM_MINUTES=0 a device has no claim window: claimUntil is null', async (t) => {
  const s = await startServer({ env: { PROV_CLAIM_MINUTES: '0' } });
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  const created = await s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1001' }] } });
  t.is(created.status, 201);
  t.is(created.json.claimUntil, null);
  t.is((await s.api('POST', '/api/devices/805ec0123456/claim')).json.claimUntil, null);
  const fetched = await fetch(`${s.url}/prov/805ec0123456.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56' } });
  t.is(fetched.status, 401, 'no credentials, no claim: refused');
});
