// Desk phones end to end over real HTTP: a Yealink T46S and a Polycom VVX 450
// on one extension fetch their whole chain in vendor order with their real
// User-Agents (VENDORS.md), get the secret, and follow every secret change
// through never → synced → pending → synced (API.md "Device status").
import test, { type ExecutionContext } from 'ava';
import { digestAuthorization, digestChallenge } from '../helpers/digest-client.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const EXT = '1001';
// Markup characters, and an `&` that already looks like an entity.
const SECRET = 'Pa&amp;ss<w"rd&1';
const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const colons = (mac: string) => mac.match(/../g)!.join(':');
const YEA_UA = `Yealink SIP-T46S 66.86.0.15 ${colons(YEA)}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';

interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
}

/** The provisioning password each phone (by data directory and MAC) last received in its credential-bearing file. */
const learned = new Map<string, string>();

/**
 * A fetch the way a phone makes it: without credentials first; on a 401,
 * Digest with the provisioning password its last credential-bearing file gave
 * it (the first one comes through the claim window, which serves it once).
 */
async function prov(s: TestServer, file: string, ua: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const mac = file.slice(0, 12);
  const key = `${s.dataDir}:${mac}`;
  let res = await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': ua, ...headers } });
  const password = learned.get(key);
  if (res.status === 401 && password) {
    await res.arrayBuffer();
    const challenge = digestChallenge(res.headers.get('www-authenticate'), 'SHA-256')!;
    const authorization = digestAuthorization({ credentials: { user: mac, password }, method: 'GET', uri: `/prov/${file}`, challenge });
    res = await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': ua, ...headers, authorization } });
  }
  const body = Buffer.from(await res.arrayBuffer());
  const text = body.toString('utf8');
  const given = /static\.auto_provision\.server\.password = (.+)/.exec(text)?.[1] ?? /device\.prov\.password="([^"]+)"/.exec(text)?.[1];
  if (res.status === 200 && given) learned.set(key, given.trim());
  return { status: res.status, headers: res.headers, body, text };
}

/** Single pass, so `&amp;amp;` reads back as the literal `&amp;`. */
function xmlUnescape(v: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return v.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : named[e]!,
  );
}

/** `key = value` of a Yealink .cfg (the value runs to the end of the line). */
const yealinkValue = (text: string, key: string) =>
  text.split('\n').find((l) => l.startsWith(`${key} = `))?.slice(key.length + 3);

/** An attribute of a Polycom XML file, unescaped. */
function polycomAttr(text: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name.replace(/\./g, '\\.')}="([^"]*)"`).exec(text);
  return m ? xmlUnescape(m[1]!) : undefined;
}

/** Yealink order: MAC boot, common boot, the model's common file, then the MAC file. */
async function yealinkChain(t: ExecutionContext, s: TestServer) {
  const files = [`${YEA}.boot`, 'y000000000000.boot', 'y000000000066.cfg', `${YEA}.cfg`];
  const got = new Map<string, Fetched>();
  for (const f of files) {
    const r = await prov(s, f, YEA_UA);
    t.is(r.status, 200, `yealink ${f}`);
    t.regex(r.headers.get('content-type') ?? '', /^text\/plain\b/, `yealink ${f} content type`);
    t.is(r.headers.get('cache-control'), 'no-store');
    t.true(r.text.startsWith('#!version:1.0.0.1\n'), `yealink ${f} first line`);
    got.set(f, r);
  }
  t.true(got.get(`${YEA}.boot`)!.text.includes(`include:config "${YEA}.cfg"`), 'the MAC boot file includes the MAC file');
  const cfg = got.get(`${YEA}.cfg`)!;
  return { files: got, cfg, password: yealinkValue(cfg.text, 'account.1.password') };
}

/** Polycom order: the master, then each of its CONFIG_FILES with the MAC filled in. */
async function polycomChain(t: ExecutionContext, s: TestServer) {
  const master = await prov(s, `${POLY}.cfg`, POLY_UA);
  t.is(master.status, 200, 'polycom master');
  const list = /<APPLICATION\b[^>]*\sCONFIG_FILES="([^"]*)"/.exec(master.text)?.[1];
  t.truthy(list, 'the master names CONFIG_FILES');
  const names = xmlUnescape(list ?? '')
    .split(',')
    .map((n) => n.trim().replace('[PHONE_MAC_ADDRESS]', POLY))
    .filter(Boolean);
  t.true(names.length > 0);
  const files = new Map<string, Fetched>([[`${POLY}.cfg`, master]]);
  for (const f of names) {
    const r = await prov(s, f, POLY_UA);
    t.is(r.status, 200, `polycom ${f}`);
    files.set(f, r);
  }
  for (const [f, r] of files) {
    t.regex(r.headers.get('content-type') ?? '', /^application\/xml\b/, `polycom ${f} content type`);
    t.is(r.headers.get('cache-control'), 'no-store');
  }
  const creds = [...files].filter(([, r]) => polycomAttr(r.text, 'reg.1.auth.password') !== undefined);
  t.is(creds.length, 1, 'exactly one file carries the credentials');
  const [file, cfg] = creds[0] ?? ['', master];
  return { files, file, cfg, password: polycomAttr(cfg.text, 'reg.1.auth.password') };
}

async function setup(t: ExecutionContext, clock?: () => Date) {
  const s = await startServer({ clock });
  t.teardown(s.close);
  const must = async (p: Promise<{ status: number; text: string }>, status: number) => {
    const r = await p;
    if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: SECRET, displayName: 'Front Desk' }) }), 201);
  const lines = [{ extension: EXT }];
  await must(s.api('POST', '/api/devices', { body: { mac: colons(YEA).toUpperCase(), vendor: 'yealink', model: 'T46S', lines } }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: '0004.F2E7.65DA', vendor: 'polycom', model: 'VVX 450', lines } }), 201);
  return s;
}

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;

async function statuses(t: ExecutionContext, s: TestServer, want: { [mac: string]: string }, when: string) {
  for (const [mac, status] of Object.entries(want)) t.is((await device(s, mac)).status, status, `${when}: ${mac}`);
  const ext = (await s.api('GET', `/api/extensions/${EXT}`)).json;
  const shown = Object.fromEntries(ext.devices.map((d: { mac: string; status: string }) => [d.mac, d.status]));
  t.deepEqual(shown, want, `${when}: extension devices[].status`);
}

test('each phone fetches its chain, gets the secret and follows PUT and generated secret changes', async (t) => {
  const s = await setup(t);
  await statuses(t, s, { [YEA]: 'never', [POLY]: 'never' }, 'before any fetch');

  const y1 = await yealinkChain(t, s);
  const p1 = await polycomChain(t, s);
  t.is(y1.password, SECRET);
  t.is(p1.password, SECRET);
  t.is(yealinkValue(y1.cfg.text, 'account.1.user_name'), EXT);
  t.is(polycomAttr(p1.cfg.text, 'reg.1.address'), EXT);
  await statuses(t, s, { [YEA]: 'synced', [POLY]: 'synced' }, 'after the first fetch');
  for (const [mac, ua, file] of [[YEA, YEA_UA, `${YEA}.cfg`], [POLY, POLY_UA, p1.file]] as const) {
    const d = await device(s, mac);
    t.like(d.lastFetch, { ip: '127.0.0.1', userAgent: ua, file }, `${mac} lastFetch`);
    t.false(Number.isNaN(Date.parse(d.lastFetch.at)));
    t.is(d.fetchedVersion, d.configVersion);
  }
  // Files without secrets: none of them carries it.
  for (const [f, r] of [...y1.files, ...p1.files]) {
    if (r !== y1.cfg && r !== p1.cfg) t.false(r.text.includes('Pa&'), `${f} holds no secret`);
  }

  const versions: Record<string, number> = {
    [YEA]: (await device(s, YEA)).configVersion,
    [POLY]: (await device(s, POLY)).configVersion,
  };
  const changes = [
    () => s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'N3w <secret> & "more"' } }),
    () => s.api('POST', `/api/extensions/${EXT}/secret/generate`),
  ];
  for (const [i, change] of changes.entries()) {
    const r = await change();
    t.is(r.status, 200, r.text);
    t.is(r.json.version, i + 2);
    t.deepEqual(
      [...r.json.devices].sort((a: { mac: string }, b: { mac: string }) => a.mac.localeCompare(b.mac)),
      [{ mac: POLY, status: 'pending' }, { mac: YEA, status: 'pending' }],
    );
    await statuses(t, s, { [YEA]: 'pending', [POLY]: 'pending' }, `after change ${i + 1}`);
    for (const mac of [YEA, POLY]) {
      const v = (await device(s, mac)).configVersion;
      t.true(v > versions[mac]!, `${mac} configVersion bumped`);
      versions[mac] = v;
    }
    const secret = (await s.api('GET', `/api/extensions/${EXT}/secret`)).json.secret;
    t.is((await yealinkChain(t, s)).password, secret, `yealink has secret ${i + 2}`);
    t.is((await polycomChain(t, s)).password, secret, `polycom has secret ${i + 2}`);
    await statuses(t, s, { [YEA]: 'synced', [POLY]: 'synced' }, `after refetch ${i + 1}`);
  }
});

test('a displayName PATCH re-renders; a PATCH that changes nothing does not; same inputs, same ETag', async (t) => {
  const s = await setup(t);
  const y0 = await prov(s, `${YEA}.cfg`, YEA_UA);
  const { cfg: p0, file: pfile } = await polycomChain(t, s);
  const v0 = { y: (await device(s, YEA)).configVersion, p: (await device(s, POLY)).configVersion };
  t.is(y0.headers.get('etag'), (await prov(s, `${YEA}.cfg`, YEA_UA)).headers.get('etag'), 'stable across fetches');

  t.is((await s.api('PATCH', `/api/extensions/${EXT}`, { body: { displayName: 'Reception' } })).status, 200);
  await statuses(t, s, { [YEA]: 'pending', [POLY]: 'pending' }, 'after the rename');
  t.is((await device(s, YEA)).configVersion, v0.y + 1);
  t.is((await device(s, POLY)).configVersion, v0.p + 1);
  const y1 = await prov(s, `${YEA}.cfg`, YEA_UA);
  const p1 = (await polycomChain(t, s)).cfg;
  t.false(y1.body.equals(y0.body));
  t.false(p1.body.equals(p0.body));
  t.not(y1.headers.get('etag'), y0.headers.get('etag'));
  t.not(p1.headers.get('etag'), p0.headers.get('etag'));
  t.is(yealinkValue(y1.text, 'account.1.display_name'), 'Reception');
  t.is(polycomAttr(p1.text, 'reg.1.displayName'), 'Reception');
  await statuses(t, s, { [YEA]: 'synced', [POLY]: 'synced' }, 'after the refetch');

  // The same value again, and a device label no template shows: nothing to re-render.
  t.is((await s.api('PATCH', `/api/extensions/${EXT}`, { body: { displayName: 'Reception' } })).status, 200);
  t.is((await s.api('PATCH', `/api/devices/${YEA}`, { body: { label: 'desk 4' } })).status, 200);
  t.is((await device(s, YEA)).configVersion, v0.y + 1, 'no bump without a change');
  t.is((await device(s, POLY)).configVersion, v0.p + 1, 'no bump without a change');
  await statuses(t, s, { [YEA]: 'synced', [POLY]: 'synced' }, 'after the no-op PATCHes');

  // Back to the first name: a real re-render whose bytes equal the first ones.
  t.is((await s.api('PATCH', `/api/extensions/${EXT}`, { body: { displayName: 'Front Desk' } })).status, 200);
  const y2 = await prov(s, `${YEA}.cfg`, YEA_UA);
  const p2 = await prov(s, pfile, POLY_UA);
  t.true(y2.body.equals(y0.body));
  t.is(y2.headers.get('etag'), y0.headers.get('etag'));
  t.is(p2.headers.get('etag'), p0.headers.get('etag'));

  // A restart renders everything again from the same inputs: same ETags.
  await s.close();
  const again = await startServer({ dataDir: s.dataDir });
  t.teardown(again.close);
  t.is((await prov(again, `${YEA}.cfg`, YEA_UA)).headers.get('etag'), y0.headers.get('etag'));
  t.is((await prov(again, pfile, POLY_UA)).headers.get('etag'), p0.headers.get('etag'));
});

test('If-None-Match with the current ETag is 304 and still counts as a fetch of the current version', async (t) => {
  let now = Date.parse('2030-01-01T08:00:00.000Z');
  const s = await setup(t, () => new Date(now));
  const pfile = (await polycomChain(t, s)).file;
  const phones = [[YEA, YEA_UA, `${YEA}.cfg`], [POLY, POLY_UA, pfile]] as const;
  for (const [mac, ua, file] of phones) {
    const first = await prov(s, file, ua);
    const etag = first.headers.get('etag')!;
    t.regex(etag, /^"[^"]+"$/, 'a strong ETag');
    t.like((await device(s, mac)).lastFetch, { at: '2030-01-01T08:00:00.000Z' });

    now += 60_000;
    const same = await prov(s, file, ua, { 'if-none-match': etag });
    t.is(same.status, 304, `${mac}: 304`);
    t.is(same.body.length, 0);
    t.is(same.headers.get('etag'), etag);
    t.is(same.headers.get('cache-control'), 'no-store');
    t.like((await device(s, mac)).lastFetch, { at: '2030-01-01T08:01:00.000Z', file, userAgent: ua });

    const stale = await prov(s, file, ua, { 'if-none-match': '"0000"' });
    t.is(stale.status, 200, `${mac}: a stale ETag gets the body`);
    t.true(stale.body.equals(first.body));
    now = Date.parse('2030-01-01T08:00:00.000Z');
  }

  // The phone holds the first bytes; a change and its revert make them current again.
  const etags = new Map<string, string>();
  for (const [mac, ua, file] of phones) etags.set(mac, (await prov(s, file, ua)).headers.get('etag')!);
  t.is((await s.api('PATCH', `/api/extensions/${EXT}`, { body: { label: 'temporary' } })).status, 200);
  for (const [mac, ua, file] of phones) {
    const r = await prov(s, file, ua, { 'if-none-match': etags.get(mac)! });
    t.is(r.status, 200, `${mac}: the old ETag no longer matches`);
  }
  t.is((await s.api('PATCH', `/api/extensions/${EXT}`, { body: { label: null } })).status, 200);
  await statuses(t, s, { [YEA]: 'pending', [POLY]: 'pending' }, 'after the revert');
  for (const [mac, ua, file] of phones) {
    t.is((await prov(s, file, ua, { 'if-none-match': etags.get(mac)! })).status, 304, `${mac}: current again`);
  }
  await statuses(t, s, { [YEA]: 'synced', [POLY]: 'synced' }, 'after the 304s');
});
