// /prov over real HTTP: what an unknown, unassigned or known MAC gets, how a
// first fetch records an unknown phone, bad file names, Polycom uploads and
// the scrubbing of credentials out of handset overrides (API.md "Phones",
// VENDORS.md Yealink and Polycom).
import http from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const colons = (mac: string) => mac.match(/../g)!.join(':');
const yealinkUa = (mac: string, model = 'T46S', fw = '66.86.0.15') => `Yealink SIP-${model} ${fw} ${colons(mac)}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';
const YEA = '805ec0123456';
const POLY = '0004f2e765da';

async function server(t: ExecutionContext, options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  t.teardown(s.close);
  return s;
}

async function prov(s: TestServer, file: string, init: { ua?: string; method?: string; body?: BodyInit; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.ua !== undefined) headers['user-agent'] = init.ua;
  const res = await fetch(`${s.url}/prov/${file}`, { method: init.method ?? 'GET', headers, body: init.body, duplex: 'half' } as RequestInit);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A request whose path reaches the server exactly as written (fetch would normalise `..`). */
function rawGet(s: TestServer, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function withExtension(s: TestServer, secret = 'Handset-Secret-1') {
  const r = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret }) });
  if (r.status !== 201) throw new Error(r.text);
}
async function addDevice(s: TestServer, mac: string, vendor: string, lines = ['1001']) {
  const r = await s.api('POST', '/api/devices', { body: { mac, vendor, lines: lines.map((extension) => ({ extension })) } });
  if (r.status !== 201) throw new Error(r.text);
}
const devices = async (s: TestServer, query = '') => (await s.api('GET', `/api/devices${query}`)).json as any[];

test('an unknown MAC is a bare 404', async (t) => {
  const s = await server(t);
  for (const file of [`${YEA}.cfg`, `${YEA}.boot`, `${POLY}-sip.cfg`, `${POLY}-phone.cfg`]) {
    const r = await prov(s, file);
    t.is(r.status, 404, file);
    t.is(r.text, '', `${file}: no body detail`);
  }
  t.deepEqual(await devices(s), [], 'no User-Agent, nothing recorded');
});

test('an unknown phone asking for <mac>.cfg is recorded as unassigned, and lines make it fetchable', async (t) => {
  let now = Date.parse('2030-03-01T10:00:00.000Z');
  const s = await server(t, { clock: () => new Date(now) });
  await withExtension(s);
  const phones = [
    { mac: YEA, ua: yealinkUa(YEA), vendor: 'yealink', model: 'T46S', firmware: '66.86.0.15', type: /^text\/plain\b/ },
    { mac: POLY, ua: POLY_UA, vendor: 'polycom', model: 'VVX_450', firmware: '6.4.0.1', type: /^application\/xml\b/ },
    // The other User-Agent forms of VENDORS.md: a Yealink MAC without colons, a Polycom serial tag.
    { mac: '001565f429a4', ua: 'Yealink SIP-T56A 58.80.0.25 001565f429a4', vendor: 'yealink', model: 'T56A', firmware: '58.80.0.25', type: /^text\/plain\b/ },
    {
      mac: '0004f2e765db',
      ua: 'FileTransport PolycomSoundStationIP-SSIP_5000-UA/4.0.3.7562 (SN:0004f2e765db) Type/Application',
      vendor: 'polycom',
      model: 'SSIP_5000',
      firmware: '4.0.3.7562',
      type: /^application\/xml\b/,
    },
  ];
  for (const p of phones) {
    const r = await prov(s, `${p.mac}.cfg`, { ua: p.ua });
    t.is(r.status, 404, 'still a 404 for the phone');
    t.is(r.text, '');
    now += 1000;
  }
  const waiting = await devices(s, '?status=unassigned');
  t.deepEqual(waiting.map((d) => d.mac).sort(), phones.map((p) => p.mac).sort());
  for (const [i, p] of phones.entries()) {
    const d = waiting.find((x) => x.mac === p.mac);
    t.like(d, { vendor: p.vendor, model: p.model, firmware: p.firmware, status: 'unassigned', lines: [] });
    t.is(d.lastFetch, null);
    t.like(d.lastSeen, { ip: '127.0.0.1', userAgent: p.ua, file: `${p.mac}.cfg`, at: new Date(Date.parse('2030-03-01T10:00:00.000Z') + i * 1000).toISOString() });
    t.is((await prov(s, `${p.mac}.cfg`, { ua: p.ua })).status, 404, 'unassigned is still a 404');
  }
  t.is((await devices(s, '?status=never')).length, 0);

  const served = new Map<string, string>();
  for (const p of phones) {
    const r = await s.api('PATCH', `/api/devices/${p.mac}`, { body: { lines: [{ extension: '1001' }] } });
    t.is(r.status, 200, r.text);
    t.like(r.json, { vendor: p.vendor, model: p.model, status: 'never' });
    const got = await prov(s, `${p.mac}.cfg`, { ua: p.ua });
    t.is(got.status, 200, `${p.mac}.cfg after assignment`);
    t.regex(got.headers.get('content-type') ?? '', p.type);
    served.set(p.mac, got.text);
  }
  t.true(served.get(YEA)!.split('\n').includes('account.1.password = Handset-Secret-1'));
  t.is((await prov(s, `${POLY}-sip.cfg`, { ua: POLY_UA })).status, 200);
  t.deepEqual(await devices(s, '?status=unassigned'), []);
  // Yealinks fetched their credential file above; of the Polycoms only POLY fetched its -sip.cfg.
  t.deepEqual((await devices(s, '?status=synced')).map((d) => d.mac).sort(), [POLY, '001565f429a4', YEA]);
  t.deepEqual((await devices(s, '?status=never')).map((d) => d.mac), ['0004f2e765db']);
});

test('a User-Agent naming another MAC, or one no vendor sends, records nothing', async (t) => {
  const s = await server(t);
  const other = '805ec0abcdef';
  for (const ua of [
    yealinkUa(other),
    `Yealink SIP-T46S 66.86.0.15 ${other}`,
    'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 (SN:0004f2aaaaaa) Type/Application',
    'Mozilla/5.0 (X11; Linux x86_64)',
    'curl/8.5.0',
    '',
  ]) {
    const file = ua.includes('Poly') ? `${POLY}.cfg` : `${YEA}.cfg`;
    t.is((await prov(s, file, { ua })).status, 404, ua);
  }
  t.deepEqual(await devices(s), []);
});

test('with PROV_MAX_UNASSIGNED=3, five unknown phones leave the three newest and no assigned device', async (t) => {
  let now = Date.parse('2030-03-01T10:00:00.000Z');
  const s = await server(t, { env: { PROV_MAX_UNASSIGNED: '3' }, clock: () => new Date(now) });
  await withExtension(s);
  await addDevice(s, '805ec0000000', 'yealink');
  const macs = ['805ec0000005', '805ec0000001', '805ec0000004', '805ec0000002', '805ec0000003'];
  for (const mac of macs) {
    now += 60_000;
    t.is((await prov(s, `${mac}.cfg`, { ua: yealinkUa(mac) })).status, 404);
  }
  t.deepEqual((await devices(s, '?status=unassigned')).map((d) => d.mac).sort(), macs.slice(2).sort());
  t.is((await s.api('GET', '/api/devices/805ec0000000')).status, 200, 'the assigned device stays');
});

test('a device with no lines, or a file of the other vendor, is a 404', async (t) => {
  const s = await server(t);
  await withExtension(s);
  await addDevice(s, '805ec0000001', 'yealink', []);
  await addDevice(s, YEA, 'yealink');
  await addDevice(s, POLY, 'polycom');
  t.is((await prov(s, '805ec0000001.cfg', { ua: yealinkUa('805ec0000001') })).status, 404, 'no lines');
  t.is((await prov(s, '805ec0000001.boot', { ua: yealinkUa('805ec0000001') })).status, 404, 'no lines');
  for (const file of [`${YEA}-sip.cfg`, `${YEA}-phone.cfg`, `${POLY}.boot`]) {
    const r = await prov(s, file, { ua: file.startsWith(YEA) ? yealinkUa(YEA) : POLY_UA });
    t.is(r.status, 404, file);
    t.is(r.text, '');
  }
  // <mac>.cfg exists for both vendors: the device record decides, not the User-Agent.
  const master = await prov(s, `${POLY}.cfg`, { ua: yealinkUa(POLY) });
  t.is(master.status, 200);
  t.regex(master.headers.get('content-type') ?? '', /^application\/xml\b/);
  t.regex(master.text, /<APPLICATION\b/);
});

test('bad file names are 404, never 500', async (t) => {
  const s = await server(t);
  await withExtension(s);
  await addDevice(s, YEA, 'yealink');
  const paths = [
    '/prov/../etc/passwd',
    '/prov/..%2f..%2fetc%2fpasswd',
    '/prov/%2e%2e',
    '/prov/%2e%2e%2fetc%2fpasswd',
    '/prov/%2E%2E%2F%2E%2E%2Fdata%2Fprov.db',
    `/prov/${YEA}.cfg%00`,
    `/prov/${YEA}.cfg%2f..`,
    '/prov/%E0%A4%A',
    '/prov/%',
    '/prov/.',
    '/prov/a/b',
    `/prov/${YEA}${'a'.repeat(300)}.cfg`,
    `/prov/${'x'.repeat(4000)}`,
    `/prov/${encodeURIComponent('805ec0123456.cfg ')}`,
  ];
  for (const path of paths) {
    const r = await rawGet(s, path);
    t.is(r.status, 404, path.slice(0, 60));
    t.is(r.body, '', path.slice(0, 60));
  }
  t.is((await prov(s, `${YEA}.cfg`, { ua: yealinkUa(YEA) })).status, 200, 'the real name still works');
});

test('Polycom uploads: an override from a known device is stored and served back; others are refused', async (t) => {
  const s = await server(t, { env: { PROV_ALLOW_BASIC_OVER_HTTP: 'true' } });
  await withExtension(s);
  await addDevice(s, POLY, 'polycom');
  await addDevice(s, YEA, 'yealink');
  const headers = { authorization: basic(await phoneCredentials(s, POLY)) };
  const small = '<?xml version="1.0"?><PHONE_CONFIG><ALL up.backlight.idleIntensity="1"/></PHONE_CONFIG>';
  const put = (file: string, body: BodyInit) => prov(s, file, { ua: POLY_UA, method: 'PUT', body, headers });
  const up = await put(`${POLY}-phone.cfg`, small);
  t.is(up.status, 204);
  const back = await prov(s, `${POLY}-phone.cfg`, { ua: POLY_UA, headers });
  t.is(back.status, 200);
  t.is(back.text, small);
  t.truthy(back.headers.get('etag'));

  t.is((await put('0004f2aaaaaa-phone.cfg', small)).status, 404, 'unknown device');
  t.is((await prov(s, '0004f2aaaaaa-phone.cfg', { ua: POLY_UA })).status, 404);
  t.is((await put(`${YEA}-phone.cfg`, small)).status, 404, 'a Yealink has no Polycom override');
  t.is((await put(`${POLY}-sip.cfg`, small)).status, 404, 'a rendered file cannot be overwritten');
  t.not((await prov(s, `${POLY}-sip.cfg`, { ua: POLY_UA, headers })).text, small);

  // Over 256 KiB, with and without a Content-Length: refused, the earlier upload kept.
  const huge = `<PHONE_CONFIG a="${'x'.repeat(256 * 1024)}"/>`;
  t.is((await put(`${POLY}-phone.cfg`, huge)).status, 413);
  const chunked = new ReadableStream({
    start(c) {
      c.enqueue(new TextEncoder().encode(huge));
      c.close();
    },
  });
  t.is((await put(`${POLY}-phone.cfg`, chunked)).status, 413);
  t.is((await put(`${POLY}-web.cfg`, huge)).status, 413);
  t.is((await prov(s, `${POLY}-phone.cfg`, { ua: POLY_UA, headers })).text, small, 'nothing stored');
  t.is((await prov(s, `${POLY}-web.cfg`, { ua: POLY_UA, headers })).status, 404, 'nothing stored');
  t.is((await s.api('GET', '/api/audit?action=device.override-uploaded')).json.length, 1, 'one accepted upload, one audit event');
});

test('every reg.N.auth.* is taken out of a handset override as it is uploaded, and again on a secret change; the rest is kept', async (t) => {
  const s = await server(t, { env: { PROV_ALLOW_BASIC_OVER_HTTP: 'true' } });
  await withExtension(s);
  await addDevice(s, POLY, 'polycom');
  const headers = { authorization: basic(await phoneCredentials(s, POLY)) };
  const override = (extra: string) =>
    '<?xml version="1.0" encoding="UTF-8"?><PHONE_CONFIG><ALL reg.1.auth.password="typed-on-handset" ' +
    `reg.1.auth.userId="1001" reg.1.displayName="Desk" up.backlight.idleIntensity="1"/>${extra}</PHONE_CONFIG>`;
  const files = {
    [`${POLY}-phone.cfg`]: override('<MORE reg.2.auth.password="two" reg.2.label="Second"/>'),
    [`${POLY}-web.cfg`]: override(''),
  };
  for (const [file, body] of Object.entries(files)) {
    t.is((await prov(s, file, { ua: POLY_UA, method: 'PUT', body, headers })).status, 204, file);
    const back = (await prov(s, file, { ua: POLY_UA, headers })).text;
    t.notRegex(back, /\breg\.\d+\.auth\./, `${file}: scrubbed as it was stored`);
    t.regex(back, /\sup\.backlight\.idleIntensity="1"/, `${file}: the rest kept`);
  }
  const r = await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Brand-New-Secret-2' } });
  t.is(r.status, 200, r.text);
  for (const file of Object.keys(files)) {
    const got = await prov(s, file, { ua: POLY_UA, headers });
    t.is(got.status, 200, file);
    t.notRegex(got.text, /\breg\.\d+\.auth\./, `${file}: no reg.N.auth.* left`);
    t.false(got.text.includes('typed-on-handset'));
    t.regex(got.text, /\sreg\.1\.displayName="Desk"/);
    t.regex(got.text, /\sup\.backlight\.idleIntensity="1"/);
    t.regex(got.text, /<PHONE_CONFIG\b/);
  }
  t.regex((await prov(s, `${POLY}-phone.cfg`, { ua: POLY_UA, headers })).text, /\sreg\.2\.label="Second"/);
  const sip = await prov(s, `${POLY}-sip.cfg`, { ua: POLY_UA, headers });
  t.regex(sip.text, /\sreg\.1\.auth\.password="Brand-New-Secret-2"/);
});

test('the Yealink shared files and the Polycom 000000000000.cfg are served without any device', async (t) => {
  const s = await server(t);
  const files: [string, RegExp, RegExp][] = [
    ['y000000000000.boot', /^text\/plain\b/, /^#!version:1\.0\.0\.1\n/],
    ['y000000000066.cfg', /^text\/plain\b/, /^#!version:1\.0\.0\.1\n/],
    ['y000000000028.cfg', /^text\/plain\b/, /^#!version:1\.0\.0\.1\n/],
    ['000000000000.cfg', /^application\/xml\b/, /<APPLICATION\b[^>]*\sCONFIG_FILES="/],
  ];
  for (const ua of [undefined, POLY_UA, yealinkUa(YEA)]) {
    for (const [file, type, body] of files) {
      const r = await prov(s, file, { ua });
      t.is(r.status, 200, `${file} (${ua})`);
      t.regex(r.headers.get('content-type') ?? '', type);
      t.regex(r.text, body);
      t.is(r.headers.get('cache-control'), 'no-store');
    }
  }
  t.is((await prov(s, 'y000000009999.cfg', { ua: yealinkUa(YEA) })).status, 404, 'no such model code');
  t.deepEqual(await devices(s), [], '000000000000 is not a device');
});

test('an unknown Yealink is recorded from its first request, <mac>.boot', async (t) => {
  const s = await server(t);
  const mac = '805ec0777777';
  const res = await fetch(`${s.url}/prov/${mac}.boot`, { headers: { 'user-agent': yealinkUa(mac) } });
  t.is(res.status, 404);
  const [d] = (await s.api('GET', '/api/devices?status=unassigned')).json;
  t.like(d, { mac, vendor: 'yealink', model: 'T46S', status: 'unassigned' });
  t.is(d.lastSeen.file, `${mac}.boot`);
});
