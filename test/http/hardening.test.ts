// What a browser gets from the phones' side, and the small holes closed:
// every file answered on /prov and /sp is inert in a browser (nosniff, a
// sandboxing CSP, an attachment), console accounts are people (admin or
// viewer, never pbx), MACs that name a shared file are refused, and a link
// token never reaches the log whatever way its path is spelt.
import http from 'node:http';
import test from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const YEA = '805ec0f1f2f3';
const POLY = '0004f2f1f2f3';
const YEA_UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:f1:f2:f3';
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application';

function inert(t: import('ava').ExecutionContext, headers: Headers | http.IncomingHttpHeaders, what: string, disposition = true) {
  const get = (name: string) => (headers instanceof Headers ? headers.get(name) : (headers[name] as string | undefined)) ?? null;
  t.is(get('x-content-type-options'), 'nosniff', what);
  t.is(get('content-security-policy'), "default-src 'none'; sandbox", what);
  if (disposition) t.regex(get('content-disposition') ?? '', /^attachment(; filename="[A-Za-z0-9._-]+")?$/, what);
}

async function fleet(t: import('ava').ExecutionContext): Promise<TestServer> {
  const s = await startServer({ env: { PROV_NOTIFY: 'off' } });
  t.teardown(s.close);
  for (const [path, body] of [
    ['/api/extensions', extensionBody('1001', { secret: 'Inert-Secret-1' })],
    ['/api/devices', { mac: YEA, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] }],
    ['/api/devices', { mac: POLY, vendor: 'polycom', lines: [{ extension: '1001' }] }],
  ] as const) {
    const r = await s.api('POST', path, { body });
    if (r.status !== 201) throw new Error(r.text);
  }
  return s;
}

test('every file on /prov and /sp is inert in a browser: nosniff, a sandboxing CSP, an attachment', async (t) => {
  const s = await fleet(t);
  const files: [string, string][] = [
    [`${YEA}.boot`, YEA_UA], ['y000000000000.boot', YEA_UA], ['y000000000066.cfg', YEA_UA], [`${YEA}.cfg`, YEA_UA],
    [`${POLY}.cfg`, POLY_UA], [`${POLY}-sip.cfg`, POLY_UA], ['polycom-common.cfg', POLY_UA], ['000000000000.cfg', POLY_UA],
  ];
  for (const [file, ua] of files) {
    // Through the claim where that is how the phone gets it, then as the phone does afterwards.
    const mac = file.startsWith(POLY) ? POLY : YEA;
    const first = await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': ua } });
    await first.arrayBuffer();
    if (first.status === 200) inert(t, first.headers, `${file} (bare)`);
    const got = await fetchWithDigest(`${s.url}/prov/${file}`, await phoneCredentials(s, mac), { headers: { 'user-agent': ua } }).catch(() => null);
    if (got) {
      t.is(got.status, 200, file);
      inert(t, got.headers, file);
    }
    const etag = (await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': ua, authorization: `Basic x` } })).headers;
    inert(t, etag, `${file} refused`, false);
  }
  // The Koa route too (a HEAD, and a name the lane leaves to it).
  const head = await fetch(`${s.url}/prov/y000000000000.boot`, { method: 'HEAD' });
  inert(t, head.headers, 'HEAD');
  const notModified = await fetch(`${s.url}/prov/y000000000000.boot`, { headers: { 'if-none-match': head.headers.get('etag')! } });
  t.is(notModified.status, 304);
  inert(t, notModified.headers, '304', false);

  // Softphone files: MicroSIP's download and Zoiper's app address.
  for (const app of ['microsip', 'zoiper']) {
    const link = (await s.api('POST', '/api/links', { body: { extension: '1001', app } })).json;
    const url = link.url.replace(/^https?:\/\/[^/]+/, s.url);
    const page = await fetch(url);
    t.not(page.headers.get('content-security-policy'), "default-src 'none'; sandbox", 'the landing page keeps its own policy');
    await page.arrayBuffer();
    const taken = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const body = await taken.text();
    if (app === 'microsip') {
      inert(t, taken.headers, 'MicroSIP.ini');
      t.regex(taken.headers.get('content-disposition')!, /filename="MicroSIP\.ini"/);
    } else {
      const appUrl = /value="([^"]+\/sp\/app\/[^"]+)"/.exec(body)![1]!.replace(/^https?:\/\/[^/]+/, s.url);
      const file = await fetch(appUrl);
      t.is(file.status, 200);
      inert(t, file.headers, 'Zoiper XML');
    }
  }
});

test('console accounts are admins or viewers; a MAC that names a shared file is refused', async (t) => {
  const s = await fleet(t);
  const pbxUser = await s.api('POST', '/api/users', { body: { username: 'registrar', role: 'pbx', password: 'correct horse battery' } });
  t.deepEqual([pbxUser.status, pbxUser.json.error.code], [422, 'invalid-input']);
  t.regex(pbxUser.json.error.message, /admin or viewer/);
  t.is((await s.api('POST', '/api/users', { body: { username: 'viewer1', role: 'viewer', password: 'correct horse battery' } })).status, 201);
  t.is((await s.api('PATCH', '/api/users/viewer1', { body: { role: 'pbx' } })).status, 422);
  for (const mac of ['000000000000', '00:00:00:00:00:00', 'ffffffffffff']) {
    for (const vendor of ['polycom', 'yealink']) {
      const r = await s.api('POST', '/api/devices', { body: { mac, vendor } });
      t.deepEqual([r.status, r.json.error.code], [422, 'reserved-mac'], `${vendor} ${mac}`);
    }
  }
  t.deepEqual((await s.api('GET', '/api/devices?q=000000')).json, []);
});

test('a link token never reaches the log, whatever way its path is spelt', async (t) => {
  const s = await fleet(t);
  const link = (await s.api('POST', '/api/links', { body: { extension: '1001', app: 'microsip' } })).json;
  const token = new URL(link.url).pathname.split('/').pop()!;
  const { port } = new URL(s.url);
  const spellings = [`/sp/${token}`, `//sp/${token}`, `/%73p/${token}`, `/SP/${token}`, `/./sp/${token}`, `/sp//${token}`, `/%2Fsp/${token}`, `/x/${token}`];
  for (const path of spellings) {
    await new Promise<void>((resolve, reject) => {
      http.request({ host: '127.0.0.1', port, path }, (res) => res.resume().on('end', resolve)).on('error', reject).end();
    });
  }
  const lines = s.logs.filter((l) => l.includes('"msg":"request"'));
  t.true(lines.length >= spellings.length);
  for (const l of lines) t.false(l.includes(token), l);
});
