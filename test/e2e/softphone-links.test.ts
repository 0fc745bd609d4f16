// Softphone links end to end over real HTTP (API.md "Softphone links",
// VENDORS.md Zoiper and MicroSIP): an admin makes a link, a person opens it in
// a browser (the landing page costs nothing, whatever asks for it), presses
// its button (a POST: MicroSIP gets its file, Zoiper a one-use app address it
// fetches the file from) with the extension's current secret, and the link
// runs out, follows secret rotation, can be revoked, and travels as a QR code
// that holds only the URL.
import http from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { decodeQrSvg } from '../helpers/qr.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const EXT = '1001';
const PUBLIC = 'https://prov.example.test';
// XML and HTML markup characters, and a quote that an INI or attribute could mishandle.
const SECRET = 'Sp&<"cret&amp;1';
const NAME = 'Zoë Café';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

async function setup(t: ExecutionContext, clock?: () => Date): Promise<TestServer> {
  const s = await startServer({ env: { PROV_PUBLIC_URL: PUBLIC }, clock });
  t.teardown(s.close);
  const r = await s.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: SECRET, displayName: NAME }) });
  if (r.status !== 201) throw new Error(`setup: ${r.status} ${r.text}`);
  return s;
}

async function newLink(t: ExecutionContext, s: TestServer, app: string, extra: Record<string, unknown> = {}) {
  const r = await s.api('POST', '/api/links', { body: { extension: EXT, app, ...extra } });
  t.is(r.status, 201, r.text);
  t.deepEqual(Object.keys(r.json).sort(), ['expiresAt', 'id', 'maxUses', 'qrSvg', 'url']);
  t.true(String(r.json.url).startsWith(`${PUBLIC}/sp/`), r.json.url);
  return r.json as { id: string; url: string; expiresAt: string; maxUses: number; qrSvg: string };
}

/** The link's path on the test server (PROV_PUBLIC_URL names a host we do not run). */
const local = (s: TestServer, url: string) => s.url + new URL(url).pathname + new URL(url).search;

async function get(s: TestServer, url: string, headers: Record<string, string> = {}): Promise<Got> {
  const res = await fetch(local(s, url), { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}
const browse = (s: TestServer, url: string) => get(s, url, { accept: BROWSER });

/** The landing page's button: its form POSTs to the page's own URL. */
async function press(s: TestServer, url: string): Promise<Got> {
  const res = await fetch(local(s, url), {
    method: 'POST',
    headers: { accept: BROWSER, 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
}
const appAddress = (page: Got) => /value="([^"]+)"/.exec(page.text)?.[1]?.replace(/&amp;/g, '&');

/** What a person ends up with: the file the POST answers, or the one the app fetches from the address it shows. */
async function download(s: TestServer, url: string): Promise<Got> {
  const r = await press(s, url);
  if (r.status !== 200 || !/^text\/html\b/.test(r.headers.get('content-type') ?? '')) return r;
  const address = appAddress(r);
  if (!address) throw new Error('the page after the button shows no app address');
  return get(s, address, { 'user-agent': 'Zoiper5' });
}

/** A GET with no Accept header at all (fetch would add `Accept: *\/*`). */
function bareGet(s: TestServer, url: string): Promise<Got> {
  return new Promise((resolve, reject) => {
    http.get(local(s, url), (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
        resolve({ status: res.statusCode!, headers, body, text: body.toString('utf8') });
      });
    }).on('error', reject);
  });
}

const xmlUnescape = (v: string) =>
  v.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(Number(e.slice(1))) : ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!);
const zoiperField = (xml: string, tag: string) => {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? xmlUnescape(m[1]!) : undefined;
};

/** MicroSIP's reading of a file: UTF-16LE with a BOM, or ASCII; CRLF lines. */
function microsipText(t: ExecutionContext, body: Buffer): string {
  if (body[0] === 0xff && body[1] === 0xfe) return body.subarray(2).toString('utf16le');
  t.false(body.some((b) => b > 0x7f), 'without a BOM the file must be pure ASCII');
  return body.toString('latin1');
}
/** A key of [Account1], as MicroSIP reads it: trimmed, one pair of outer quotes stripped. */
function microsipValue(text: string, key: string): string | undefined {
  const lines = text.split('\r\n');
  const start = lines.indexOf('[Account1]');
  const line = lines.slice(start + 1).find((l) => l.startsWith(`${key}=`));
  if (start < 0 || line === undefined) return undefined;
  const v = line.slice(key.length + 1).trim();
  return /^(["']).*\1$/s.test(v) && v.length >= 2 ? v.slice(1, -1) : v;
}

async function linkRow(s: TestServer, id: string) {
  return ((await s.api('GET', `/api/links?extension=${EXT}`)).json as any[]).find((l) => l.id === id);
}
const currentSecret = async (s: TestServer) => (await s.api('GET', `/api/extensions/${EXT}/secret`)).json.secret as string;

function isZoiperWith(t: ExecutionContext, r: Got, secret: string, when: string) {
  t.is(r.status, 200, when);
  t.regex(r.headers.get('content-type') ?? '', /^application\/xml\b/, `${when}: content type`);
  t.true(r.text.includes('<options>'), `${when}: a Zoiper document`);
  t.is(zoiperField(r.text, 'password'), secret, `${when}: password`);
  t.is(zoiperField(r.text, 'username'), EXT, `${when}: username`);
  t.is(zoiperField(r.text, 'SIP_callerId'), NAME, `${when}: caller id`);
}

function isMicrosipWith(t: ExecutionContext, r: Got, secret: string, when: string) {
  t.is(r.status, 200, when);
  const type = r.headers.get('content-type') ?? '';
  t.regex(type, /^text\/plain\b/, `${when}: content type`);
  t.is(r.headers.get('content-disposition'), 'attachment; filename="MicroSIP.ini"', `${when}: disposition`);
  // The accent in the display name makes the file UTF-16LE with a BOM.
  t.deepEqual([...r.body.subarray(0, 2)], [0xff, 0xfe], `${when}: UTF-16LE BOM`);
  t.notRegex(type, /charset=(?!utf-16)/i, `${when}: the charset named must be the body's (UTF-16LE), got ${type}`);
  const text = microsipText(t, r.body);
  t.is(microsipValue(text, 'password'), secret, `${when}: password`);
  t.is(microsipValue(text, 'username'), EXT, `${when}: username`);
  t.is(microsipValue(text, 'displayName'), NAME, `${when}: displayName`);
  t.regex(microsipValue(text, 'domain') ?? '', /^pbx\.example\.com/, `${when}: domain (an account counts only with one)`);
}

test('a Zoiper link: the page names the app and costs nothing; the download carries the secret once', async (t) => {
  const s = await setup(t);
  const link = await newLink(t, s, 'zoiper');
  t.is(link.maxUses, 1);

  for (let i = 0; i < 5; i++) {
    const page = await browse(s, link.url);
    t.is(page.status, 200, `page view ${i + 1}`);
    t.regex(page.headers.get('content-type') ?? '', /^text\/html\b/);
    t.true(page.text.includes('Zoiper'), 'the page names the app');
    t.false(page.text.includes('Sp&') || page.text.includes('Sp&amp;'), 'the page holds no secret');
  }
  t.like(await linkRow(s, link.id), { uses: 0, state: 'active', status: 'never', lastUsedAt: null });

  for (const r of [await get(s, link.url, { accept: '*/*' }), await bareGet(s, link.url)]) {
    t.is(r.status, 200, 'an app or a preview asking for the link gets the page too');
    t.false(r.text.includes('<options>'));
  }
  // The page's own form, as a browser would submit it: no action, so it posts back to the page.
  const page = await browse(s, link.url);
  t.regex(page.text, /<form method="post">/);
  const after = await press(s, link.url);
  t.is(after.status, 200);
  t.regex(after.headers.get('content-type') ?? '', /^text\/html\b/);
  t.false(after.text.includes('Sp&') || after.text.includes('Sp&amp;'), 'the address page holds no secret');
  const address = appAddress(after)!;
  t.true(address.startsWith(`${PUBLIC}/sp/app/`), address);
  const svg = /<svg\b[^]*<\/svg>/.exec(after.text)?.[0] ?? '';
  t.is(decodeQrSvg(svg), address, 'the QR code on the page holds the app address');
  t.like(await linkRow(s, link.id), { uses: 1, state: 'used-up', status: 'synced' });
  isZoiperWith(t, await get(s, address, { 'user-agent': 'Zoiper5' }), SECRET, 'the app fetching the address');
  t.is((await get(s, address)).status, 404, 'the address works once');

  t.is((await download(s, link.url)).status, 404, 'a second download of a one-use link');
  t.is((await get(s, link.url, { accept: '*/*' })).status, 404);
  t.is((await browse(s, link.url)).status, 404, 'the page of a used-up link');
});

test('a MicroSIP link: the page says where MicroSIP.ini goes; every kind of download counts, the fourth of three is 404', async (t) => {
  const s = await setup(t);
  const link = await newLink(t, s, 'microsip', { maxUses: 3 });
  t.is(link.maxUses, 3);

  const page = await browse(s, link.url);
  t.is(page.status, 200);
  t.true(page.text.includes('MicroSIP'), 'names the app');
  t.true(page.text.includes('%APPDATA%\\MicroSIP'), 'installed: %APPDATA%\\MicroSIP\\');
  t.regex(page.text, /portable[^<]*next to microsip\.exe/i, 'portable: next to the exe');
  t.regex(page.text, /<form method="post">/, 'a download button');
  t.is((await browse(s, link.url)).status, 200);
  for (const r of [await get(s, link.url, { accept: '*/*' }), await bareGet(s, link.url), await get(s, `${link.url}?download=1`)]) {
    t.is(r.status, 200);
    t.regex(r.headers.get('content-type') ?? '', /^text\/html\b/, 'GET is always the page');
  }
  t.like(await linkRow(s, link.id), { uses: 0 });

  for (let i = 1; i <= 3; i++) isMicrosipWith(t, await press(s, link.url), SECRET, `button, time ${i}`);
  t.like(await linkRow(s, link.id), { uses: 3, state: 'used-up' });

  const fourth = await download(s, link.url);
  t.is(fourth.status, 404, 'the fourth download');
  t.is(fourth.body.length, 0);
  t.is((await bareGet(s, link.url)).status, 404);
  t.is((await browse(s, link.url)).status, 404, 'the page of a used-up link');
});

test('after a secret rotation a fresh link carries the new secret; links[] shows the old one pending', async (t) => {
  let now = Date.parse('2030-05-01T09:00:00.000Z');
  const s = await setup(t, () => new Date(now));
  const old = await newLink(t, s, 'zoiper');
  isZoiperWith(t, await download(s, old.url), SECRET, 'old link');

  now += 60_000;
  const rotated = await s.api('POST', `/api/extensions/${EXT}/secret/generate`);
  t.is(rotated.status, 200, rotated.text);
  const secret = await currentSecret(s);
  t.not(secret, SECRET);

  now += 60_000;
  const fresh = await newLink(t, s, 'zoiper');
  const micro = await newLink(t, s, 'microsip');
  let ext = (await s.api('GET', `/api/extensions/${EXT}`)).json;
  const byId = (id: string) => ext.links.find((l: { id: string }) => l.id === id);
  t.is(ext.links.length, 3);
  t.like(byId(old.id), { status: 'pending', state: 'used-up', lastUsedAt: '2030-05-01T09:00:00.000Z' });
  t.like(byId(fresh.id), { status: 'never', lastUsedAt: null, uses: 0 });

  now += 60_000;
  isZoiperWith(t, await download(s, fresh.url), secret, 'fresh Zoiper link');
  isMicrosipWith(t, await download(s, micro.url), secret, 'fresh MicroSIP link');
  ext = (await s.api('GET', `/api/extensions/${EXT}`)).json;
  t.like(byId(old.id), { status: 'pending' });
  t.like(byId(fresh.id), { status: 'synced', state: 'used-up', uses: 1, lastUsedAt: '2030-05-01T09:03:00.000Z' });
  t.like(byId(micro.id), { status: 'synced', lastUsedAt: '2030-05-01T09:03:00.000Z' });

  // A link made before a change hands out the secret current at download time.
  const early = await newLink(t, s, 'zoiper', { maxUses: 2 });
  t.is((await s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Third <one> & "final"' } })).status, 200);
  isZoiperWith(t, await download(s, early.url), 'Third <one> & "final"', 'link made before the PUT');
});

test('a revoked link is 404 before its uses run out', async (t) => {
  const s = await setup(t);
  const link = await newLink(t, s, 'microsip', { maxUses: 5 });
  isMicrosipWith(t, await download(s, link.url), SECRET, 'before revoking');

  const del = await s.api('DELETE', `/api/links/${link.id}`);
  t.is(del.status, 204, del.text);
  t.is(del.text, '');
  for (const r of [await browse(s, link.url), await download(s, link.url), await bareGet(s, link.url)]) {
    t.is(r.status, 404);
    t.is(r.body.length, 0);
  }
  const row = await linkRow(s, link.id);
  t.like(row, { uses: 1, maxUses: 5, state: 'revoked' });
  t.truthy(row.revokedAt);
  t.is((await s.api('DELETE', `/api/links/00000000-0000-4000-8000-000000000000`)).status, 404, 'an unknown id');
});

test('the QR code decodes to exactly the link URL and holds no secret', async (t) => {
  const s = await setup(t);
  for (const app of ['zoiper', 'microsip']) {
    const link = await newLink(t, s, app);
    t.regex(link.qrSvg, /^<svg\b[\s\S]*<\/svg>\s*$/, `${app}: an SVG document`);
    t.is(decodeQrSvg(link.qrSvg), link.url, `${app}: the QR code holds the URL`);
    for (const form of [SECRET, 'Sp&amp;', 'Sp&lt;', 'cret&amp;1']) t.false(link.qrSvg.includes(form), `${app}: no ${form}`);
    t.false(link.qrSvg.includes('pbx.example.com'), `${app}: no account details`);
  }
  // The decoder is not fooled: another URL's code does not read as this one.
  const a = await newLink(t, s, 'zoiper');
  const b = await newLink(t, s, 'zoiper');
  t.not(decodeQrSvg(a.qrSvg), b.url);
});
