// PROV_ADMIN_PORT: the API and the console on a listener of their own, served
// by the primary, while the phones' port keeps only what phones and
// softphone users fetch. Real processes, real HTTP; with workers and without.
import fs from 'node:fs';
import http from 'node:http';
import test from 'ava';
import { listeners, logLines, startProcess } from '../helpers/process.ts';
import { until } from '../helpers/until.ts';
import { tempDir } from '../helpers/server.ts';
import { httpsRequest, selfSignedCert } from '../helpers/tls.ts';

const TOKEN = 'admin-port-admin-token-0123456789';
const MAC = '805ec0777001';

interface Answer {
  status: number;
  type: string;
  body: string;
}

function call(base: string, method: string, path: string, opts: { body?: unknown; auth?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: opts.auth ?? `Bearer ${TOKEN}` };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(base + path, { method, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end(opts.body === undefined ? undefined : JSON.stringify(opts.body));
  });
}

type Line = { pid: number; msg: string; port?: number; path?: string; status?: number };

async function started(t: { teardown(fn: () => unknown): void }, workers: number) {
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess(
    { PROV_DATA_DIR: dataDir, PROV_WORKERS: String(workers), PROV_ADMIN_PORT: '0', PROV_ADMIN_HOST: '127.0.0.1', PROV_ADMIN_TOKEN: TOKEN, PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0' },
    120_000,
  );
  t.teardown(() => s.stop());
  const lines = () => logLines<Line>(s);
  const { phonePids, admin } = await listeners(s, workers, true);
  return { s, lines, adminUrl: `http://127.0.0.1:${admin!.port}`, adminPid: admin!.pid, phonePids };
}

async function provision(adminUrl: string, secret: string) {
  const ext = await call(adminUrl, 'POST', '/api/extensions', { body: { number: '1001', secret, server: { host: 'pbx.example.com' } } });
  const dev = await call(adminUrl, 'POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } });
  const login = JSON.parse((await call(adminUrl, 'GET', `/api/devices/${MAC}/credentials`)).body) as { user: string; password: string };
  return { ext, dev, basic: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` };
}

function separateSurfaces(workers: number) {
  return async (t: import('ava').ExecutionContext) => {
    t.timeout(240_000);
    const { s, lines, adminUrl, adminPid, phonePids } = await started(t, workers);
    const { ext, dev, basic } = await provision(adminUrl, 'Admin-Port-Secret-1');
    t.is(ext.status, 201, ext.body);
    t.is(dev.status, 201, dev.body);

    // The phones' port: the phone's file, but no API and no console.
    const file = await call(s.url, 'GET', `/prov/${MAC}.cfg`, { auth: basic });
    t.is(file.status, 200);
    t.true(file.body.includes('Admin-Port-Secret-1'));
    t.is((await call(s.url, 'GET', '/api/extensions')).status, 404);
    t.is((await call(s.url, 'POST', '/api/extensions', { body: { number: '1002', server: { host: 'pbx.example.com' } } })).status, 404);
    t.is((await call(s.url, 'GET', '/')).status, 404);
    t.is((await call(s.url, 'GET', '/setup')).status, 404);
    t.is((await call(s.url, 'GET', '/sign-in')).status, 404);
    t.is((await call(s.url, 'GET', '/healthz')).status, 200);

    // The admin port: the API and the console, but no phone file.
    const list = await call(adminUrl, 'GET', '/api/extensions');
    t.is(list.status, 200);
    t.false(list.body.includes('Admin-Port-Secret-1'));
    // No console account yet: the console's first page is its setup.
    const page = await call(adminUrl, 'GET', '/setup', { auth: '' });
    t.is(page.status, 200);
    t.regex(page.type, /^text\/html/);
    t.is((await call(adminUrl, 'GET', `/prov/${MAC}.cfg`, { auth: basic })).status, 404);
    t.is((await call(adminUrl, 'GET', '/healthz')).status, 200);
    t.is((await call(adminUrl, 'GET', '/api/extensions', { auth: 'Bearer not-the-token-0123456789' })).status, 401);

    // A secret changed on the admin port reaches the phone on its own port.
    t.is((await call(adminUrl, 'PUT', '/api/extensions/1001/secret', { body: { secret: 'Admin-Port-Secret-2' } })).status, 200);
    const after = await call(s.url, 'GET', `/prov/${MAC}.cfg`, { auth: basic });
    t.true(after.body.includes('Admin-Port-Secret-2'));
    t.false(after.body.includes('Admin-Port-Secret-1'));

    // Served by the process that holds the admin listener, never by a phone worker.
    const apiLines = await until('the API request lines', () => {
      const l = lines().filter((x) => x.msg === 'request' && x.path === '/api/extensions' && x.status === 200);
      return l.length ? l : undefined;
    });
    for (const l of apiLines) t.is(l.pid, adminPid);
    if (workers > 1) t.false(phonePids.has(adminPid), 'the admin listener is the primary, not a worker');
    const phoneLines = await until('both phone fetches logged', () => {
      const l = lines().filter((x) => x.msg === 'request' && x.path === `/prov/${MAC}.cfg` && x.status === 200);
      return l.length >= 2 ? l : undefined;
    });
    for (const l of phoneLines) t.true(phonePids.has(l.pid));
  };
}

test('with workers, the admin port is the primary\'s and the phones\' port serves no API or console', separateSurfaces(2));
test('in one process the two ports split the same way', separateSurfaces(1));

test('with a certificate, the admin port speaks HTTPS with it', async (t) => {
  t.timeout(120_000);
  const certs = await selfSignedCert();
  t.teardown(() => fs.rmSync(certs.dir, { recursive: true, force: true }));
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess({
    PROV_DATA_DIR: dataDir, PROV_WORKERS: '1', PROV_ADMIN_PORT: '0', PROV_ADMIN_TOKEN: TOKEN,
    PROV_TLS_CERT: certs.cert, PROV_TLS_KEY: certs.key, PROV_TLS_PORT: '0', PROV_SWEEP_MINUTES: '0',
  });
  t.teardown(() => s.stop());
  const { admin } = await listeners(s, 1, true);
  t.true(admin!.tls);
  const answer = await httpsRequest(`https://127.0.0.1:${admin!.port}/api/extensions`, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.is(answer.status, 200);
  await t.throwsAsync(call(`http://127.0.0.1:${admin!.port}`, 'GET', '/api/extensions'), undefined, 'no plain HTTP on it');
});
