// The desk phones added as data — Grandstream, Snom, Fanvil, Cisco MPP — end
// to end over real HTTP, each as its firmware walks its chain with its real
// User-Agent (test/helpers/data-phones.ts): claimed once, then HTTP Digest,
// with two lines, following secret changes; a claim naming another MAC gets
// nothing; an unknown phone lands in the inbox with vendor and model; and
// what a vendor cannot carry is refused when the admin writes it.
import test, { type ExecutionContext } from 'ava';
import { readDeskFile, type DeskVendor } from '../helpers/desk-readers.ts';
import { DATA_PHONES, dataPhone } from '../helpers/data-phones.ts';
import { digestAuthorization, digestChallenge } from '../helpers/digest-client.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

// Markup, an `&` that already looks like an entity, and a Cisco macro.
const SECRET = 'Pa&amp;ss<w"rd&1$MA';
const SECOND = "Second 'line' & <two>";
const MACS: Record<DeskVendor, string> = {
  grandstream: 'c074ad1a2b3c',
  snom: '000413922d24',
  fanvil: '0c383e07e16c',
  cisco: '00562b043615',
};
const VENDORS = Object.keys(MACS) as DeskVendor[];

async function must(p: Promise<{ status: number; text: string; json: any }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
  return r.json;
}

async function office(t: ExecutionContext, env: Record<string, string> = {}) {
  const s = await startServer({ env });
  t.teardown(s.close);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET, displayName: 'Zoë "Front" $USER' }) }), 201);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1002', { secret: 'Line-Two-Secret', displayName: SECOND }) }), 201);
  return s;
}

const addPhone = (s: TestServer, vendor: DeskVendor, mac = MACS[vendor]) =>
  must(s.api('POST', '/api/devices', { body: { mac, vendor, model: DATA_PHONES[vendor].model, lines: [{ extension: '1001' }, { extension: '1002' }] } }), 201);

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;
const audit = async (s: TestServer, action: string) => (await s.api('GET', `/api/audit?action=${action}`)).json as any[];

for (const vendor of VENDORS) {
  const mac = MACS[vendor];
  const chain = DATA_PHONES[vendor].chain(mac);
  const credentialName = chain.at(-1)!;

  test(`${vendor}: the phone walks its chain with its User-Agent, is claimed once, then uses Digest, and follows secret changes`, async (t) => {
    const s = await office(t);
    await addPhone(s, vendor);
    const phone = dataPhone(s.url, vendor, mac);
    const first = await phone.walk();
    for (const [file, r] of first) {
      t.is(r.status, 200, `${file}`);
      t.regex(r.headers.get('content-type') ?? '', /^application\/xml; charset=utf-8$/, `${file} content type`);
    }
    const lines = () => readDeskFile(vendor, first.get(credentialName)!.text, (f) => [f.line(1), f.line(2)]);
    const [one, two] = lines();
    t.like(one, { number: '1001', password: SECRET, displayName: 'Zoë "Front" $USER' });
    t.like(two, { number: '1002', password: 'Line-Two-Secret', displayName: SECOND });
    t.truthy(phone.password, 'the file gave the phone its provisioning password');
    t.is((await audit(s, 'device.claimed')).length, 1, 'one claim');
    t.like(await device(s, mac), { status: 'synced', model: DATA_PHONES[vendor].model, firmware: DATA_PHONES[vendor].firmware });

    // The claim is used up: without credentials the file is a bare 401 now.
    const bare = await fetch(`${s.url}/prov/${credentialName}`, { headers: { 'user-agent': DATA_PHONES[vendor].ua(mac) } });
    t.is(bare.status, 401);
    t.is(await bare.text(), '');

    for (const change of [
      () => s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'N3w <secret> & "more" $$' } }),
      () => s.api('POST', '/api/extensions/1001/secret/generate'),
    ]) {
      t.is((await change()).status, 200);
      t.is((await device(s, mac)).status, 'pending');
      const again = await phone.walk();
      for (const [file, r] of again) t.is(r.status, 200, `${file} with Digest`);
      const secret = (await s.api('GET', '/api/extensions/1001/secret')).json.secret;
      t.is(readDeskFile(vendor, again.get(credentialName)!.text, (f) => f.line(1).password), secret);
      t.is((await device(s, mac)).status, 'synced');
    }
    t.is((await audit(s, 'device.claimed')).length, 1, 'still the one claim');
  });

  test(`${vendor}: a claim with another MAC in the User-Agent, or none, gets nothing; its own MAC gets the file`, async (t) => {
    const s = await office(t);
    await addPhone(s, vendor);
    const other = mac.slice(0, 6) + 'ffffff';
    const ua = DATA_PHONES[vendor].ua(mac);
    for (const [what, agent] of [
      ['another MAC', DATA_PHONES[vendor].ua(other)],
      ['no MAC', ua.replace(new RegExp(`\\(?${mac}\\)?`, 'i'), '').trim()],
      ['curl', 'curl/8.5.0'],
    ] as const) {
      const r = await dataPhone(s.url, vendor, mac, agent).get(credentialName);
      t.is(r.status, 401, what);
      t.is(r.text, '', what);
    }
    t.deepEqual(await audit(s, 'device.claimed'), []);
    t.is((await dataPhone(s.url, vendor, mac).get(credentialName)).status, 200, 'its own MAC');
  });

  test(`${vendor}: an unknown phone lands in the inbox with its vendor, model and firmware`, async (t) => {
    const s = await office(t);
    const r = await dataPhone(s.url, vendor, mac).get(credentialName);
    t.is(r.status, 404);
    t.like(await device(s, mac), { status: 'unassigned', vendor, model: DATA_PHONES[vendor].model, lines: [] });
  });
}

test('snom: its file answers to the MAC in either case; a Yealink does not answer to an upper-case name', async (t) => {
  const s = await office(t, { PROV_ALLOW_BASIC_OVER_HTTP: 'true' });
  await addPhone(s, 'snom');
  const phone = dataPhone(s.url, 'snom', MACS.snom);
  await phone.walk();
  const upper = await phone.get(`${MACS.snom.toUpperCase()}.xml`);
  const lower = await phone.get(`${MACS.snom}.xml`);
  t.is(upper.status, 200);
  t.is(lower.status, 200);
  t.is(upper.headers.get('etag'), lower.headers.get('etag'));
  t.is((await device(s, MACS.snom)).lastFetch.file, `${MACS.snom}.xml`);

  await must(s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } }), 201);
  t.is((await fetch(`${s.url}/prov/805EC0123456.boot`)).status, 404);
  t.is((await fetch(`${s.url}/prov/805ec0123456.boot`)).status, 200);
});

test('grandstream: cfg<mac> and cfg<mac>.xml are one file; cisco: CP-8841-3PCC.xml and 8841-3PCC.xml are one bootstrap, open and secret-free', async (t) => {
  const s = await office(t);
  await addPhone(s, 'grandstream');
  await addPhone(s, 'cisco');
  const gs = dataPhone(s.url, 'grandstream', MACS.grandstream);
  const files = await gs.walk();
  t.is(new Set([...files.values()].map((r) => r.headers.get('etag'))).size, 1, 'one file, one ETag');
  const [bare, xml] = [...files.values()];
  t.is(bare!.text, xml!.text);
  const boot = await fetch(`${s.url}/prov/CP-8841-3PCC.xml`);
  const psn = await fetch(`${s.url}/prov/8841-3PCC.xml`);
  t.is(boot.status, 200);
  const text = await boot.text();
  t.is(text, await psn.text());
  t.false(text.includes('Pa&amp;') || text.includes('--pwd'), 'no secret and no credentials in the bootstrap');
  t.regex(readDeskFile('cisco', text, (f) => f.read('/flat-profile/Profile_Rule_B')) ?? '', /^http:\/\/[^/]+\/prov\/\$MA\.xml$/);
});

test('a value a vendor cannot carry is refused when the admin writes it, naming the vendor and the rule; the others take it', async (t) => {
  const s = await office(t);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1003', { displayName: '%NULL%' }) }), 201);
  for (const vendor of VENDORS) {
    await must(s.api('POST', '/api/devices', { body: { mac: MACS[vendor], vendor, lines: [{ extension: '1003' }] } }), 201);
  }
  const refused = await s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1003' }] } });
  t.is(refused.status, 422);
  t.is(refused.json.error.code, 'unsupported-value');
  t.regex(refused.json.error.message, /^extension 1003: Yealink phones cannot take this display name: .*%NULL%/);
  t.is((await s.api('GET', '/api/devices/805ec0123456')).status, 404, 'nothing was written');

  await must(s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', lines: [{ extension: '1001' }] } }), 201);
  const rename = await s.api('PATCH', '/api/extensions/1001', { body: { displayName: '%null%' } });
  t.is(rename.status, 422);
  t.is(rename.json.error.code, 'unsupported-value');
  t.is((await s.api('GET', '/api/extensions/1001')).json.displayName, 'Zoë "Front" $USER', 'the extension kept its name');
});

test('a mixed office: one extension on a phone of every vendor, each claimed zero-touch, all following a secret change', async (t) => {
  const s = await office(t);
  const phones = VENDORS.map((vendor) => ({ vendor, mac: MACS[vendor], phone: dataPhone(s.url, vendor, MACS[vendor]) }));
  for (const { vendor, mac } of phones) await addPhone(s, vendor, mac);
  // The two vendors that were there before, with the provisioning password their file gives them.
  const yea = { mac: '805ec0123456', ua: 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56', file: '805ec0123456.cfg', given: /static\.auto_provision\.server\.password = (.+)/ };
  const poly = { mac: '0004f2e765da', ua: 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application', file: '0004f2e765da-sip.cfg', given: /device\.prov\.password="([^"]+)"/ };
  const known = new Map<string, string>();
  const fetchOld = async (p: typeof yea) => {
    let res = await fetch(`${s.url}/prov/${p.file}`, { headers: { 'user-agent': p.ua } });
    if (res.status === 401) {
      await res.arrayBuffer();
      const challenge = digestChallenge(res.headers.get('www-authenticate'), 'SHA-256')!;
      const authorization = digestAuthorization({ credentials: { user: p.mac, password: known.get(p.mac)! }, method: 'GET', uri: `/prov/${p.file}`, challenge });
      res = await fetch(`${s.url}/prov/${p.file}`, { headers: { 'user-agent': p.ua, authorization } });
    }
    const text = await res.text();
    known.set(p.mac, p.given.exec(text)![1]!);
    return text;
  };
  for (const p of [yea, poly]) {
    await must(s.api('POST', '/api/devices', { body: { mac: p.mac, vendor: p === yea ? 'yealink' : 'polycom', lines: [{ extension: '1001' }] } }), 201);
  }
  const all = [yea.mac, poly.mac, ...phones.map((p) => p.mac)];
  const everyone = async () => {
    await fetchOld(yea);
    await fetchOld(poly);
    for (const { phone } of phones) for (const [file, r] of await phone.walk()) t.is(r.status, 200, file);
  };
  await everyone();
  for (const mac of all) t.is((await device(s, mac)).status, 'synced', `${mac} after its claim`);
  t.is((await audit(s, 'device.claimed')).length, 6, 'each phone claimed once');

  const change = await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Office-Wide-2' } });
  t.deepEqual(change.json.devices.map((d: { status: string }) => d.status), all.map(() => 'pending'));
  await everyone();
  for (const mac of all) t.is((await device(s, mac)).status, 'synced', `${mac} after the change`);
  t.is((await audit(s, 'device.claimed')).length, 6, 'no second claim: Digest from then on');
});
