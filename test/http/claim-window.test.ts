// The zero-touch claim window end to end, on an injected clock: who is served
// a credential-bearing file without credentials, for how long, what closes and
// re-opens the window, and what is audited (API.md "Phone authentication").
import test, { type ExecutionContext } from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const colons = (mac: string) => mac.match(/../g)!.join(':');
const yealinkUa = (mac: string) => `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';
const CURL_UA = 'curl/7.88.1';
const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const SECRET = 'Handset-Secret-1';
const T0 = Date.parse('2030-04-01T09:00:00.000Z');
const MINUTE = 60_000;

interface Ctx {
  s: TestServer;
  /** Moves the injected clock forward. */
  advance: (ms: number) => void;
  now: () => number;
}

async function setup(t: ExecutionContext, env: Record<string, string> = {}, devices: [string, string][] = [[YEA, 'yealink'], [POLY, 'polycom']]): Promise<Ctx> {
  let now = T0;
  const s = await startServer({ env, clock: () => new Date(now) });
  t.teardown(s.close);
  const created = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) });
  if (created.status !== 201) throw new Error(created.text);
  for (const [mac, vendor] of devices) {
    const r = await s.api('POST', '/api/devices', { body: { mac, vendor, lines: [{ extension: '1001' }] } });
    if (r.status !== 201) throw new Error(r.text);
  }
  return { s, advance: (ms) => void (now += ms), now: () => now };
}

async function prov(s: TestServer, file: string, ua?: string, init: { method?: string; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (ua !== undefined) headers['user-agent'] = ua;
  const res = await fetch(`${s.url}/prov/${file}`, { method: init.method ?? 'GET', headers, body: init.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;
const audit = async (s: TestServer, action: string) =>
  (await s.api('GET', `/api/audit?action=${action}&limit=100`)).json as { action: string; target: string; actor: string; details: any }[];

/** A refusal as API.md has it: 401, WWW-Authenticate, no body. */
function refused(t: ExecutionContext, r: { status: number; headers: Headers; text: string }, what: string) {
  t.is(r.status, 401, what);
  t.regex(r.headers.get('www-authenticate') ?? '', /^Digest /, `${what}: challenged`);
  t.is(r.text, '', `${what}: no body`);
}

test('inside the window a Yealink is served its file by a matching User-Agent only, and that is audited', async (t) => {
  const { s, advance } = await setup(t);
  t.is((await device(s, YEA)).claimUntil, new Date(T0 + 60 * MINUTE).toISOString(), 'PROV_CLAIM_MINUTES defaults to 60');
  advance(30 * MINUTE);
  for (const [why, ua] of [
    ['another vendor', POLY_UA],
    ['another MAC in the User-Agent', yealinkUa('805ec0abcdef')],
    ["curl's User-Agent", CURL_UA],
    ['no User-Agent', undefined],
  ] as const) {
    refused(t, await prov(s, `${YEA}.cfg`, ua), why);
  }
  t.deepEqual(await audit(s, 'device.claimed'), [], 'refusals are not claims');

  const r = await prov(s, `${YEA}.cfg`, yealinkUa(YEA));
  t.is(r.status, 200);
  t.true(r.text.includes(`account.1.password = ${SECRET}`));
  const creds = await phoneCredentials(s, YEA);
  t.true(r.text.includes(`static.auto_provision.server.password = ${creds.password}`), 'the phone gets its credentials');
  const [claimed, ...more] = await audit(s, 'device.claimed');
  t.is(more.length, 0);
  t.like(claimed, { target: `device:${YEA}`, details: { file: `${YEA}.cfg`, ip: '127.0.0.1', userAgent: yealinkUa(YEA) } });
  t.is((await device(s, YEA)).status, 'synced');
  t.is((await device(s, YEA)).claimUntil, null, 'one delivery closes the window');
  refused(t, await prov(s, `${YEA}.cfg`, yealinkUa(YEA)), 'the same request again');
  t.is((await audit(s, 'device.claimed')).length, 1);
});

test('a claim is refused without the MAC in a Yealink User-Agent, from outside PROV_CLAIM_NETWORKS, and for HEAD', async (t) => {
  const { s } = await setup(t);
  refused(t, await prov(s, `${YEA}.cfg`, 'Yealink SIP-T46S 66.86.0.15'), 'a Yealink User-Agent without the MAC');
  const head = await prov(s, `${YEA}.cfg`, yealinkUa(YEA), { method: 'HEAD' });
  t.is(head.status, 401, 'HEAD');
  t.deepEqual(await audit(s, 'device.claimed'), []);
  t.not((await device(s, YEA)).claimUntil, null, 'still open for the real phone');

  const { s: far } = await setup(t, { PROV_CLAIM_NETWORKS: '10.0.0.0/8, fd00::/8' });
  refused(t, await prov(far, `${YEA}.cfg`, yealinkUa(YEA)), 'Yealink from 127.0.0.1, outside the claim networks');
  refused(t, await prov(far, `${POLY}-sip.cfg`, POLY_UA), 'Polycom from 127.0.0.1, outside the claim networks');
  t.deepEqual(await audit(far, 'device.claimed'), []);
  t.true(far.logs.some((l) => l.includes('"claimNetworks":["10.0.0.0/8","fd00::/8"]')), 'the rule in force is logged at start');
});

test('inside the window a Polycom is served its -sip.cfg by a Polycom User-Agent only', async (t) => {
  const { s } = await setup(t);
  refused(t, await prov(s, `${POLY}-sip.cfg`, yealinkUa(POLY)), 'a Yealink User-Agent');
  refused(t, await prov(s, `${POLY}-sip.cfg`, CURL_UA), 'curl');
  const serial = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 (SN:0004f2aaaaaa) Type/Application';
  refused(t, await prov(s, `${POLY}-sip.cfg`, serial), 'a Polycom User-Agent naming another MAC');
  const r = await prov(s, `${POLY}-sip.cfg`, POLY_UA);
  t.is(r.status, 200);
  t.regex(r.text, new RegExp(`reg\\.1\\.auth\\.password="${SECRET}"`));
  t.like((await audit(s, 'device.claimed'))[0], { target: `device:${POLY}`, details: { file: `${POLY}-sip.cfg` } });
});

test('the first authenticated fetch closes the window; POST /claim re-opens it for PROV_CLAIM_MINUTES', async (t) => {
  const { s, advance, now } = await setup(t, { PROV_CLAIM_MINUTES: '15' });
  const creds = await phoneCredentials(s, YEA);
  t.is((await prov(s, `${YEA}.cfg`, yealinkUa(YEA))).status, 200, 'claimed');
  const authed = await fetchWithDigest(`${s.url}/prov/${YEA}.cfg`, creds, { headers: { 'user-agent': yealinkUa(YEA) } });
  t.is(authed.status, 200);
  t.is((await device(s, YEA)).claimUntil, null);
  refused(t, await prov(s, `${YEA}.cfg`, yealinkUa(YEA)), 'after an authenticated fetch');
  t.is((await audit(s, 'device.claimed')).length, 1);

  advance(5 * MINUTE);
  const opened = await s.api('POST', `/api/devices/${YEA}/claim`);
  t.is(opened.status, 200, opened.text);
  const until = new Date(now() + 15 * MINUTE).toISOString();
  t.is(opened.json.claimUntil, until);
  t.like((await audit(s, 'device.claim-opened'))[0], { target: `device:${YEA}`, details: { until } });
  refused(t, await prov(s, `${YEA}.cfg`, POLY_UA), 're-opened, but still only for its own vendor');
  advance(15 * MINUTE - 1000);
  t.is((await prov(s, `${YEA}.cfg`, yealinkUa(YEA))).status, 200, 'one second before the end');
  t.is((await audit(s, 'device.claimed')).length, 2);
  refused(t, await prov(s, `${YEA}.cfg`, yealinkUa(YEA)), 'delivered once');

  t.is((await s.api('POST', `/api/devices/${YEA}/claim`)).status, 200);
  advance(15 * MINUTE + 1000);
  refused(t, await prov(s, `${YEA}.cfg`, yealinkUa(YEA)), 'one second after the end');
  t.is((await s.api('POST', '/api/devices/805ec0999999/claim')).status, 404, 'no such device');
});

test('the window ends PROV_CLAIM_MINUTES after the device was created', async (t) => {
  const { s, advance } = await setup(t, { PROV_CLAIM_MINUTES: '5' });
  t.is((await device(s, POLY)).claimUntil, new Date(T0 + 5 * MINUTE).toISOString());
  advance(5 * MINUTE - 1);
  t.is((await prov(s, `${POLY}-sip.cfg`, POLY_UA)).status, 200);
  advance(2);
  refused(t, await prov(s, `${POLY}-sip.cfg`, POLY_UA), 'past the end');
  refused(t, await prov(s, `${YEA}.cfg`, yealinkUa(YEA)), 'past the end, never claimed');
});

test('a PUT upload is never accepted through a claim window, nor an override read through one', async (t) => {
  const { s, advance } = await setup(t, { PROV_CLAIM_MINUTES: '10' });
  const body = '<?xml version="1.0"?><PHONE_CONFIG><ALL up.backlight.idleIntensity="1"/></PHONE_CONFIG>';
  const file = `${POLY}-phone.cfg`;
  for (const [why, ua] of [['wrong vendor', yealinkUa(POLY)], ['curl', CURL_UA], ['its own vendor', POLY_UA]] as const) {
    refused(t, await prov(s, file, ua, { method: 'PUT', body }), `inside, ${why}`);
  }
  t.deepEqual(await audit(s, 'device.override-uploaded'), []);
  const creds = await phoneCredentials(s, POLY);
  const put = await fetchWithDigest(`${s.url}/prov/${file}`, creds, { method: 'PUT', body, algorithm: 'MD5' });
  t.is(put.status, 204, 'with credentials');
  refused(t, await prov(s, file, POLY_UA), 'reading it back without credentials inside the window');
  // The clock is frozen, and the server derives a nonce from the time alone:
  // without this step the GET would be handed the PUT's nonce again and its
  // nc=1 refused as a replay (see phone-auth-curl.test.ts, "unique nonces").
  advance(1);
  const back = await fetchWithDigest(`${s.url}/prov/${file}`, creds);
  t.is(back.status, 200);
  t.is(back.text, body, 'only the authenticated upload was stored');
  const [uploaded, ...more] = await audit(s, 'device.override-uploaded');
  t.is(more.length, 0);
  t.like(uploaded, { target: `device:${POLY}`, details: { file, size: Buffer.byteLength(body) } });
  t.regex(uploaded!.details.sha256, /^[0-9a-f]{64}$/);
  t.deepEqual(await audit(s, 'device.claimed'), [], 'nothing went through the window');
});

test('files without secrets need no credentials; outside the window the others are a bare 401', async (t) => {
  const { s } = await setup(t, { PROV_CLAIM_MINUTES: '0' });
  for (const ua of [undefined, CURL_UA, POLY_UA, yealinkUa(YEA)]) {
    for (const file of [`${YEA}.boot`, 'y000000000000.boot', 'y000000000066.cfg', `${POLY}.cfg`, '000000000000.cfg', 'polycom-common.cfg']) {
      const r = await prov(s, file, ua);
      t.is(r.status, 200, `${file} (${ua})`);
      t.false(r.text.includes(SECRET), `${file} holds no secret`);
    }
  }
  for (const [file, ua] of [[`${YEA}.cfg`, yealinkUa(YEA)], [`${POLY}-sip.cfg`, POLY_UA]] as const) {
    const r = await prov(s, file, ua);
    refused(t, r, file);
    const offered = r.headers.get('www-authenticate') ?? '';
    t.regex(offered, /Digest [^]*algorithm=SHA-256/);
    t.regex(offered, /Digest [^]*algorithm=MD5/);
    t.notRegex(offered, /Basic/, 'no Basic over plain HTTP by default');
  }
  t.is((await device(s, YEA)).status, 'never');
  t.deepEqual(await audit(s, 'device.claimed'), []);
});

test('an auto-detected phone gets 404 until an admin gives it lines, which opens its window', async (t) => {
  const { s, advance, now } = await setup(t, {}, []);
  const mac = '805ec0777777';
  t.is((await prov(s, `${mac}.cfg`, yealinkUa(mac))).status, 404, 'first sight');
  const seen = await device(s, mac);
  t.like(seen, { status: 'unassigned', claimUntil: null });
  advance(90 * MINUTE);
  const creds = await phoneCredentials(s, mac);
  const withCreds = await fetch(`${s.url}/prov/${mac}.cfg`, {
    headers: { 'user-agent': yealinkUa(mac), authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}` },
  });
  t.is(withCreds.status, 404, 'unassigned: 404 even with credentials');
  t.is((await prov(s, `${mac}.cfg`, yealinkUa(mac))).status, 404, 'unassigned: 404 without');

  const r = await s.api('PATCH', `/api/devices/${mac}`, { body: { lines: [{ extension: '1001' }] } });
  t.is(r.status, 200, r.text);
  const until = new Date(now() + 60 * MINUTE).toISOString();
  t.is((await device(s, mac)).claimUntil, until);
  t.like((await audit(s, 'device.claim-opened'))[0], { target: `device:${mac}`, details: { until } });
  refused(t, await prov(s, `${mac}.cfg`, yealinkUa('805ec0777778')), 'another MAC');
  const got = await prov(s, `${mac}.cfg`, yealinkUa(mac));
  t.is(got.status, 200);
  t.true(got.text.includes(`account.1.password = ${SECRET}`));
  t.like((await audit(s, 'device.claimed'))[0], { target: `device:${mac}` });
  t.is((await device(s, mac)).status, 'synced');
});

test('a User-Agent is stored cut to 200 characters, in the audit and in the fetch record', async (t) => {
  const { s } = await setup(t);
  const long = `${yealinkUa(YEA)} ${'x'.repeat(15_000)}`;
  t.is((await prov(s, `${YEA}.cfg`, long)).status, 200);
  const [claimed] = await audit(s, 'device.claimed');
  t.is(claimed!.details.userAgent, long.slice(0, 200));
  t.is((await device(s, YEA)).lastFetch.userAgent, long.slice(0, 200));
  const mac = '805ec0777777';
  t.is((await prov(s, `${mac}.cfg`, `${yealinkUa(mac)} ${'y'.repeat(15_000)}`)).status, 404);
  t.is((await device(s, mac)).lastSeen.userAgent.length, 200, 'an unknown phone recorded as unassigned too');
});
