// Softphone links over HTTP (API.md "POST/GET/DELETE /api/links" and
// "Softphone links (/sp)"): every link that cannot be used is the same bare
// 404, defaults and validation, the token never leaves the URL (not in the API,
// the log or the database files), audit events, cascade on extension delete,
// concurrent downloads, and the headers of /sp answers. GET and HEAD only
// ever show the landing page; its button (a POST) is what uses a link.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { decodeQrSvg } from '../helpers/qr.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const EXT = '1001';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const T0 = Date.parse('2030-06-01T12:00:00.000Z');

async function server(t: ExecutionContext, options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  t.teardown(s.close);
  for (const n of [EXT, '1002']) {
    const r = await s.api('POST', '/api/extensions', { body: extensionBody(n, { secret: `Secret-of-${n}` }) });
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${r.text}`);
  }
  return s;
}

async function link(s: TestServer, extra: Record<string, unknown> = {}) {
  const r = await s.api('POST', '/api/links', { body: { extension: EXT, app: 'zoiper', ...extra } });
  if (r.status !== 201) throw new Error(`link: ${r.status} ${r.text}`);
  const token = new URL(r.json.url).pathname.replace(/^\/sp\//, '');
  return { ...(r.json as { id: string; url: string; expiresAt: string; maxUses: number }), token };
}

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** A request whose path reaches the server exactly as written. */
function raw(s: TestServer, p: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: p, headers, method }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Answer['headers'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const page = (s: TestServer, token: string) => raw(s, `/sp/${token}`, { accept: BROWSER });
/** The landing page's button: a form POST to the page's own URL. */
const download = (s: TestServer, token: string) =>
  raw(s, `/sp/${token}`, { accept: BROWSER, 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }, 'POST');
const plain = (s: TestServer, token: string) => raw(s, `/sp/${token}`, { accept: '*/*' });
const appAddress = (a: Answer) => /value="([^"]+\/sp\/app\/[^"]+)"/.exec(a.body)?.[1];
const appPath = (a: Answer) => new URL(appAddress(a)!).pathname;

const HEADERS = ['content-type', 'content-length', 'content-disposition', 'content-security-policy', 'cache-control',
  'referrer-policy', 'x-robots-tag', 'etag', 'last-modified', 'set-cookie', 'www-authenticate', 'location'];
const shape = (a: Answer) => ({ status: a.status, body: a.body, ...Object.fromEntries(HEADERS.map((h) => [h, a.headers[h]])) });

/** Every 8-character piece of the token: none may show anywhere. */
function leaks(text: string, token: string): string[] {
  const hash = createHash('sha256').update(token).digest('hex');
  const pieces = [hash.slice(0, 16), hash.slice(-16)];
  for (let i = 0; i + 8 <= token.length; i++) pieces.push(token.slice(i, i + 8));
  return pieces.filter((p) => text.includes(p));
}

const actions = async (s: TestServer, action: string, id: string) =>
  ((await s.api('GET', `/api/audit?action=${action}&limit=1000`)).json as any[]).filter((e) => String(e.target).includes(id));

test('expired, used-up, revoked and unknown tokens get the same bare 404, page and download alike', async (t) => {
  let now = T0;
  const s = await server(t, { clock: () => new Date(now) });
  const expired = await link(s, { expiresInMinutes: 10 });
  const usedUp = await link(s);
  const revoked = await link(s, { maxUses: 5 });
  const unknown = randomBytes(24).toString('base64url');
  t.is((await download(s, usedUp.token)).status, 200);
  t.is((await s.api('DELETE', `/api/links/${revoked.id}`)).status, 204);

  // One millisecond before expiresAt the link still works; at expiresAt it does not.
  now = Date.parse(expired.expiresAt) - 1;
  t.is((await page(s, expired.token)).status, 200, 'just before expiry');
  now = Date.parse(expired.expiresAt);
  const reference = { page: shape(await page(s, unknown)), download: shape(await download(s, unknown)), plain: shape(await plain(s, unknown)) };
  t.is(reference.page.status, 404);
  t.is(reference.page.body, '');
  for (const [name, l] of [['expired', expired], ['used-up', usedUp], ['revoked', revoked]] as const) {
    t.deepEqual(shape(await page(s, l.token)), reference.page, `${name}: page`);
    t.deepEqual(shape(await download(s, l.token)), reference.download, `${name}: download`);
    t.deepEqual(shape(await plain(s, l.token)), reference.plain, `${name}: plain GET`);
  }
  const states = ((await s.api('GET', '/api/links')).json as any[]).map((l) => l.state).sort();
  t.deepEqual(states, ['expired', 'revoked', 'used-up']);
  t.is(((await s.api('GET', '/api/links')).json as any[]).find((l) => l.id === expired.id).uses, 0, 'expiry used nothing');
});

test('malformed tokens are a bare 404, never a 500', async (t) => {
  const s = await server(t);
  const real = (await link(s)).token;
  const tokens = ['x', 'short', 'a'.repeat(129), 'a'.repeat(5000), '%00', '%E0%A4%A', '%ZZ', '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e', `${real}%00`, `${real}.xml`, `${real}/extra`, encodeURIComponent('ü'.repeat(20)),
    "'%20OR%201=1--xxxxxxxxxxxx", '%3Cscript%3Ealert(1)%3C%2Fscript%3E', ''];
  for (const token of tokens) {
    for (const get of [page, download, plain]) {
      const r = await get(s, token);
      t.is(r.status, 404, `${token.slice(0, 40)}: ${r.status}`);
      t.is(r.body, '', `${token.slice(0, 40)}: bare`);
    }
  }
  t.false(s.logs.some((l) => /"level":50/.test(l)), 'no request failed');
  t.like(((await s.api('GET', '/api/links')).json as any[])[0], { uses: 0 }, 'no lookalike used the real link');
});

test('defaults are one use and 72 hours; PROV_LINK_MAX_USES and PROV_LINK_EXPIRY_MINUTES change them', async (t) => {
  const s = await server(t, { clock: () => new Date(T0) });
  const d = await link(s);
  t.is(d.maxUses, 1);
  t.is(d.expiresAt, new Date(T0 + 72 * 3_600_000).toISOString());
  const own = await link(s, { maxUses: 100, expiresInMinutes: 15 });
  t.is(own.maxUses, 100);
  t.is(own.expiresAt, new Date(T0 + 15 * 60_000).toISOString());

  const c = await server(t, { clock: () => new Date(T0), env: { PROV_LINK_MAX_USES: '4', PROV_LINK_EXPIRY_MINUTES: '30' } });
  const cd = await link(c);
  t.is(cd.maxUses, 4);
  t.is(cd.expiresAt, new Date(T0 + 30 * 60_000).toISOString());
  t.like(((await c.api('GET', '/api/links')).json as any[])[0], { maxUses: 4, expiresAt: cd.expiresAt });
});

test('invalid link requests are 422 with a code and create nothing', async (t) => {
  const s = await server(t);
  const cases: [Record<string, unknown>, string | undefined][] = [
    [{ extension: EXT, app: 'linphone' }, 'unknown-app'],
    [{ extension: EXT, app: 'yealink' }, 'unknown-app'],
    [{ extension: '9999', app: 'zoiper' }, 'unknown-extension'],
    [{ extension: EXT, app: 'zoiper', maxUses: 0 }, undefined],
    [{ extension: EXT, app: 'zoiper', maxUses: 101 }, undefined],
    [{ extension: EXT, app: 'zoiper', maxUses: 1.5 }, undefined],
    [{ extension: EXT, app: 'zoiper', expiresInMinutes: 0 }, undefined],
    [{ extension: EXT, app: 'zoiper', secret: 'x' }, undefined],
    [{ extension: EXT, app: 'zoiper', token: 'chosen-by-the-caller-123' }, undefined],
    [{ app: 'zoiper' }, undefined],
  ];
  for (const [body, code] of cases) {
    const r = await s.api('POST', '/api/links', { body });
    t.is(r.status, 422, `${JSON.stringify(body)}: ${r.text}`);
    t.regex(r.json?.error?.code ?? '', /^[a-z]+(-[a-z]+)*$/, `${JSON.stringify(body)}: a stable code`);
    if (code) t.is(r.json.error.code, code, JSON.stringify(body));
  }
  t.deepEqual((await s.api('GET', '/api/links')).json, []);
  t.deepEqual((await s.api('GET', '/api/audit?action=link.created')).json, []);
});

test('GET /api/links lists without the token or its hash, and ?extension= filters', async (t) => {
  const s = await server(t);
  const a = await link(s, { maxUses: 2 });
  const b = await link(s, { extension: '1002', app: 'microsip' });
  t.is((await download(s, a.token)).status, 200);
  const all = await s.api('GET', '/api/links');
  const one = await s.api('GET', `/api/links?extension=${EXT}`);
  t.is(all.status, 200);
  t.deepEqual((all.json as any[]).map((l) => l.id).sort(), [a.id, b.id].sort());
  t.deepEqual((one.json as any[]).map((l) => l.id), [a.id]);
  t.like(one.json[0], { extension: EXT, app: 'zoiper', maxUses: 2, uses: 1, state: 'active', status: 'synced' });
  t.deepEqual((await s.api('GET', '/api/links?extension=4242')).json, []);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token;
  const texts = [all.text, one.text, (await s.api('GET', '/api/links', { token: viewer })).text,
    (await s.api('GET', `/api/extensions/${EXT}`)).text, (await s.api('GET', '/api/audit?limit=1000')).text];
  for (const l of [a, b]) {
    for (const text of texts) t.deepEqual(leaks(text, l.token), [], 'no part of the token or its hash');
    for (const row of all.json as any[]) t.false(Object.keys(row).some((k) => /token|hash|url/i.test(k)), Object.keys(row).join());
  }
});

test('the token reaches neither the log nor the database files; only its SHA-256 is stored', async (t) => {
  const s = await server(t);
  const l = await link(s, { maxUses: 2 });
  await page(s, l.token);
  const handed = await download(s, l.token);
  const appToken = appPath(handed).split('/').pop()!;
  t.is((await raw(s, appPath(handed))).status, 200);
  await raw(s, `/sp/${l.token}?download=1&x=${l.token}`, { referer: `https://mail.example/${l.token}` });
  t.is((await s.api('DELETE', `/api/links/${l.id}`)).status, 204);
  await download(s, l.token);
  t.true(s.logs.length > 0);
  t.deepEqual(s.logs.filter((line) => leaks(line, l.token).length > 0), [], 'no log line holds the token');
  t.deepEqual(s.logs.filter((line) => leaks(line, appToken).length > 0), [], 'nor the app address token');

  const files = fs.readdirSync(s.dataDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const bytes = Buffer.concat(files.map((e) => fs.readFileSync(path.join(e.parentPath, e.name))));
  t.true(files.some((e) => e.name.endsWith('.db')), files.map((e) => e.name).join());
  t.false(bytes.includes(l.token), 'the token is in no file');
  t.false(bytes.includes(appToken), 'nor the app address token');
  t.false(bytes.includes(Buffer.from(l.token, 'utf16le')), 'not even as UTF-16');
  t.false(bytes.includes(Buffer.from(l.token, 'base64url')), 'nor its raw bytes');
  t.true(bytes.includes(createHash('sha256').update(l.token).digest('hex')), 'its SHA-256 is stored');
});

test('audit: link.created, one link.used per download and none for page views, link.revoked', async (t) => {
  const s = await server(t);
  const l = await link(s, { maxUses: 3 });
  for (let i = 0; i < 4; i++) t.is((await page(s, l.token)).status, 200);
  t.is((await download(s, l.token)).status, 200);
  t.is((await plain(s, l.token)).status, 200);
  t.is((await download(s, l.token)).status, 200);
  for (let i = 0; i < 2; i++) t.is((await page(s, l.token)).status, 200);
  t.is((await s.api('DELETE', `/api/links/${l.id}`)).status, 204);
  t.is((await download(s, l.token)).status, 404);
  t.is((await s.api('DELETE', `/api/links/${l.id}`)).status, 204, 'revoking twice is harmless');

  const created = await actions(s, 'link.created', l.id);
  t.is(created.length, 1);
  t.like(created[0], { details: { extension: EXT, app: 'zoiper', maxUses: 3 } });
  const used = await actions(s, 'link.used', l.id);
  t.is(used.length, 2, 'one per download; page views and refusals are not uses');
  for (const e of used) t.like(e, { details: { extension: EXT, app: 'zoiper', secretVersion: 1, handoff: 'app-url', ip: '127.0.0.1' } });
  t.is((await actions(s, 'link.revoked', l.id)).length, 1, 'one revocation');
});

test('deleting the extension (after unmapping its devices) removes its links', async (t) => {
  const s = await server(t);
  const l = await link(s, { maxUses: 3 });
  const other = await link(s, { extension: '1002' });
  const mac = '805ec0123456';
  t.is((await s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', lines: [{ extension: EXT }] } })).status, 201);
  t.is((await s.api('DELETE', `/api/extensions/${EXT}`)).status, 409, 'still on a device');
  t.is((await page(s, l.token)).status, 200, 'a refused delete keeps the link');

  t.is((await s.api('PATCH', `/api/devices/${mac}`, { body: { lines: [] } })).status, 200);
  t.is((await s.api('DELETE', `/api/extensions/${EXT}`)).status, 204);
  t.deepEqual(((await s.api('GET', '/api/links')).json as any[]).map((x) => x.id), [other.id]);
  t.deepEqual((await s.api('GET', `/api/links?extension=${EXT}`)).json, []);
  for (const get of [page, download, plain]) t.is((await get(s, l.token)).status, 404);

  // A new extension with the same number does not bring the old link back.
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody(EXT) })).status, 201);
  t.is((await download(s, l.token)).status, 404);
  t.is((await s.api('DELETE', `/api/links/${l.id}`)).status, 404);
});

test('downloads fired at once: exactly as many succeed as the link has uses', async (t) => {
  const s = await server(t);
  for (const [maxUses, fired] of [[1, 2], [1, 8], [3, 10]] as const) {
    const l = await link(s, { maxUses });
    const answers = await Promise.all(Array.from({ length: fired }, () => download(s, l.token)));
    const ok = answers.filter((a) => a.status === 200);
    t.is(ok.length, maxUses, `${fired} at once on ${maxUses} use(s)`);
    t.true(ok.every((a) => !a.body.includes('Secret-of-1001') && appAddress(a) !== undefined), 'each gives an app address, not the secret');
    t.true(answers.every((a) => a.status === 200 || (a.status === 404 && a.body === '')));
    // Each app address, fetched three times at once, serves the file exactly once.
    for (const a of ok) {
      const fetched = await Promise.all(Array.from({ length: 3 }, () => raw(s, appPath(a))));
      const served = fetched.filter((f) => f.status === 200);
      t.is(served.length, 1);
      t.true(served[0]!.body.includes('<password>Secret-of-1001</password>'));
    }
    t.like(((await s.api('GET', '/api/links')).json as any[]).find((x) => x.id === l.id), { uses: maxUses });
    t.is((await actions(s, 'link.used', l.id)).length, maxUses);
  }
});

test('/sp answers carry no-referrer and no-store; the landing page has a Content-Security-Policy', async (t) => {
  const s = await server(t);
  const l = await link(s, { maxUses: 2 });
  const answers = {
    page: await page(s, l.token),
    download: await download(s, l.token),
    plain: await plain(s, l.token),
    head: await raw(s, `/sp/${l.token}`, {}, 'HEAD'),
    'used up': await download(s, l.token),
    unknown: await page(s, randomBytes(24).toString('base64url')),
    malformed: await download(s, '%ZZ'),
  };
  for (const [name, a] of Object.entries(answers)) {
    t.is(a.headers['referrer-policy'], 'no-referrer', name);
    t.is(a.headers['cache-control'], 'no-store', name);
  }
  const app = await raw(s, appPath(answers.download));
  t.is(app.status, 200);
  for (const [name, a] of [['app address', app], ['app address again', await raw(s, appPath(answers.download))]] as const) {
    t.is(a.headers['referrer-policy'], 'no-referrer', name);
    t.is(a.headers['cache-control'], 'no-store', name);
  }
  t.deepEqual(
    [answers.page.status, answers.download.status, answers.plain.status, answers.head.status, answers['used up'].status],
    [200, 200, 200, 200, 200],
    'two uses: the page, HEAD and */* use nothing',
  );
  t.is((await download(s, l.token)).status, 404, 'a third use of two');
  for (const a of [answers.page, answers.download, answers.plain, answers.head]) {
    const csp = a.headers['content-security-policy'] ?? '';
    t.regex(csp, /default-src 'none'/, csp);
    t.regex(csp, /form-action 'self'/, csp);
    t.regex(csp, /frame-ancestors 'none'/, csp);
    t.notRegex(csp, /script-src|unsafe-eval|unsafe-inline/, 'no script may run on the page, no inline style but its own');
  }
  for (const a of [answers.page, answers.download]) t.false(/<script\b|\son[a-z]+=/i.test(a.body), 'the pages need no script');
  t.regex(answers.page.body, /<form method="post">/, 'the button posts back to the page URL');
});

test('HEAD, Accept: */*, an empty Accept, ?download=1 and any other GET leave a link unused and serve no file', async (t) => {
  const s = await server(t);
  for (const app of ['zoiper', 'microsip']) {
    const l = await link(s, { app });
    const tries: [string, Promise<Answer>][] = [
      ['HEAD', raw(s, `/sp/${l.token}`, { accept: BROWSER }, 'HEAD')],
      ['Accept: */*', plain(s, l.token)],
      ['empty Accept', raw(s, `/sp/${l.token}`, { accept: '' })],
      ['no Accept', raw(s, `/sp/${l.token}`)],
      ['?download=1', raw(s, `/sp/${l.token}?download=1`, { accept: '*/*' })],
      ['a preview bot', raw(s, `/sp/${l.token}`, { 'user-agent': 'Slackbot-LinkExpanding 1.0', accept: 'application/xml' })],
    ];
    for (const [why, p] of tries) {
      const r = await p;
      t.is(r.status, 200, `${app}, ${why}`);
      t.regex(r.headers['content-type'] ?? '', /^text\/html/, `${app}, ${why}: the landing page`);
      t.false(r.body.includes('Secret-of-1001'), `${app}, ${why}: no secret`);
      t.is(r.headers['content-disposition'], undefined, `${app}, ${why}: no file`);
    }
    const listed = ((await s.api('GET', '/api/links')).json as any[]).find((x) => x.id === l.id);
    t.like(listed, { uses: 0, state: 'active', status: 'never' }, `${app}: unused`);
    t.deepEqual(await actions(s, 'link.used', l.id), []);
  }
});

test('MicroSIP: the POST answers the file and uses the link; Zoiper: a one-use app address and QR code valid for 10 minutes', async (t) => {
  let now = T0;
  const s = await server(t, { clock: () => new Date(now) });
  const micro = await link(s, { app: 'microsip' });
  const file = await download(s, micro.token);
  t.is(file.status, 200);
  t.is(file.headers['content-disposition'], 'attachment; filename="MicroSIP.ini"');
  t.true(file.body.includes('password=Secret-of-1001'));
  t.is((await download(s, micro.token)).status, 404, 'one use');

  const zoiper = await link(s, { app: 'zoiper', maxUses: 2 });
  const first = await download(s, zoiper.token);
  t.is(first.status, 200);
  t.false(first.body.includes('Secret-of-1001'), 'the page shows an address, not the secret');
  const address = appAddress(first)!;
  t.regex(address, /^http:\/\/127\.0\.0\.1:\d+\/sp\/app\/[A-Za-z0-9_-]{32}$/);
  const svg = /<div class="qr">([^]*?)<\/div>/.exec(first.body)?.[1] ?? '';
  t.is(decodeQrSvg(svg), address, 'the QR code holds the app address');
  t.deepEqual(leaks(first.body, zoiper.token), [], 'the page does not repeat the link token');
  t.is((await raw(s, appPath(first), {}, 'HEAD')).status, 204, 'HEAD does not use the address');
  const got = await raw(s, appPath(first), { 'user-agent': 'Zoiper5' });
  t.is(got.status, 200);
  t.true(got.body.includes('<password>Secret-of-1001</password>'));
  t.is((await raw(s, appPath(first))).status, 404, 'one use');
  t.is((await raw(s, `/sp/${new URL(address).pathname.split('/').pop()}`)).status, 404, 'an app address is not a link');
  const fetched = await actions(s, 'link.app-fetched', zoiper.id);
  t.like(fetched, [{ details: { extension: EXT, app: 'zoiper', userAgent: 'Zoiper5' } }]);

  const second = await download(s, zoiper.token);
  now += 10 * 60_000 - 1;
  t.is((await raw(s, appPath(second), {}, 'HEAD')).status, 204, 'just before 10 minutes');
  now += 1;
  t.is((await raw(s, appPath(second))).status, 404, 'after 10 minutes');
  t.like(((await s.api('GET', '/api/links')).json as any[]).find((x) => x.id === zoiper.id), { uses: 2, state: 'used-up' });
  t.is(((await s.api('GET', '/api/links')).json as any[]).length, 2, 'app addresses are not listed as links');

  // Revoking the link closes the addresses it handed out.
  const third = await link(s, { app: 'zoiper' });
  const handed = await download(s, third.token);
  t.is((await s.api('DELETE', `/api/links/${third.id}`)).status, 204);
  t.is((await raw(s, appPath(handed))).status, 404, 'revoked with its link');
});
