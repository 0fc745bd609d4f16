// Vendor data that heals itself: model templates found in any letter case,
// override files that match nothing reported, known devices learning model
// and firmware from their User-Agent (their files following the model), and
// the capped list of unassigned phones keeping real phones over made-up MACs.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { SIGHTING_MS } from '../../server/provisioning/phones/inbox.ts';
import { ROOT } from '../helpers/process.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';

const POLY = '0004f2e765da';
const polyUa = (fw = '6.4.0.1', model = 'VVX_450') => `FileTransport PolycomVVX-${model}-UA/${fw} Type/Application`;
const colons = (mac: string) => mac.match(/../g)!.join(':');
const yealinkUa = (mac: string, fw = '66.86.0.15') => `Yealink SIP-T46S ${fw} ${colons(mac)}`;

async function prov(s: TestServer, file: string, ua: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${s.url}/prov/${file}`, { headers: { 'user-agent': ua, ...headers } });
  return { status: r.status, text: await r.text() };
}

const regLines = (text: string) => new Set([...text.matchAll(/\breg\.(\d+)\./g)].map((m) => Number(m[1]))).size;

test('a model template named in any letter case is used, and override files that match nothing are reported', async (t) => {
  const dir = tempDir('prov-templates-');
  const builtin = fs.readFileSync(path.join(ROOT, 'templates/yealink/device.cfg.hbs'), 'utf8');
  fs.mkdirSync(path.join(dir, 'yealink'));
  fs.writeFileSync(path.join(dir, 'yealink', 't46s.device.cfg.hbs'), builtin.trimEnd() + '\n# lower-case model template\n');
  fs.writeFileSync(path.join(dir, 'yealink', 'T99X.device.cfg.hbs'), builtin);
  fs.writeFileSync(path.join(dir, 'yealink', 'device.cgf.hbs'), builtin);
  fs.mkdirSync(path.join(dir, 'yelink'));
  fs.writeFileSync(path.join(dir, 'yelink', 'device.cfg.hbs'), builtin);
  const s = await startServer({ env: { PROV_TEMPLATES_DIR: dir } });
  t.teardown(s.close);
  const unmatched = ['yealink/T99X.device.cfg.hbs', 'yealink/device.cgf.hbs', 'yelink/'];
  for (const file of unmatched) t.true(s.logs.some((l) => l.includes('"level":40') && l.includes(`"file":"${file}"`)), `start-up names ${file}`);

  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0123456', vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } });
  await s.api('POST', '/api/devices', { body: { mac: '805ec0123457', vendor: 'yealink', model: 'T54W', lines: [{ extension: '1001' }] } });
  const file = async (mac: string) => (await s.api('GET', `/api/devices/${mac}/files/${mac}.cfg`)).text;
  t.true((await file('805ec0123456')).includes('# lower-case model template'));
  t.false((await file('805ec0123457')).includes('# lower-case model template'), 'only that model');

  const reload = await s.api('POST', '/api/templates/reload');
  t.is(reload.status, 200);
  t.deepEqual(reload.json.unmatchedFiles, unmatched);
  fs.rmSync(path.join(dir, 'yelink'), { recursive: true });
  t.deepEqual((await s.api('POST', '/api/templates/reload')).json.unmatchedFiles, unmatched.slice(0, 2));
});

test('a known Polycom without a model learns it from its User-Agent, and its file follows: a VVX 450 gets 12 lines', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await s.api('POST', '/api/devices', { body: { mac: POLY, vendor: 'polycom', lines: [{ extension: '1001' }] } })).status, 201);
  const modelless = await s.api('GET', `/api/devices/${POLY}/files/${POLY}-sip.cfg`);
  t.is(regLines(modelless.text), 34, 'without a model the vendor maximum');

  // Within the claim window the phone is served without credentials, and says what it is.
  const served = await prov(s, `${POLY}-sip.cfg`, polyUa());
  t.is(served.status, 200);
  t.is(regLines(served.text), 12, 'the file served is already the VVX 450 one');
  const device = (await s.api('GET', `/api/devices/${POLY}`)).json;
  t.is(device.model, 'VVX_450');
  t.is(device.firmware, '6.4.0.1');

  const learnt = async () => (await s.api('GET', '/api/audit?action=device.learnt')).json.length;
  t.is(await learnt(), 1);
  // Re-opening the claim issues a new provisioning password: that render is the claim's, not the fetch's.
  await s.api('POST', `/api/devices/${POLY}/claim`);
  const before = (await s.api('GET', `/api/devices/${POLY}`)).json;
  await prov(s, `${POLY}-sip.cfg`, polyUa());
  t.is(await learnt(), 1, 'nothing new, nothing written');
  t.is((await s.api('GET', `/api/devices/${POLY}`)).json.configVersion, before.configVersion);

  await s.api('POST', `/api/devices/${POLY}/claim`);
  await prov(s, `${POLY}-sip.cfg`, polyUa('6.4.3.1', 'VVX_300'));
  const upgraded = (await s.api('GET', `/api/devices/${POLY}`)).json;
  t.is(upgraded.firmware, '6.4.3.1', 'firmware always follows');
  t.is(upgraded.model, 'VVX_450', 'a model once known stays');
});

test("an admin's model stays; a request that proves nothing teaches nothing", async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/devices', { body: { mac: POLY, vendor: 'polycom', model: 'VVX 300', lines: [{ extension: '1001' }] } });
  await prov(s, `${POLY}-sip.cfg`, polyUa('6.4.0.9'));
  const d = (await s.api('GET', `/api/devices/${POLY}`)).json;
  t.is(d.model, 'VVX_300');
  t.is(d.firmware, '6.4.0.9');

  await s.api('POST', '/api/devices', { body: { mac: '0004f2e765db', vendor: 'polycom', lines: [{ extension: '1001' }] } });
  // The master file needs no credentials: anyone may fetch it, so it changes nothing.
  await prov(s, '0004f2e765db.cfg', polyUa('9.9.9.9'));
  const other = (await s.api('GET', '/api/devices/0004f2e765db')).json;
  t.is(other.model, null);
  t.is(other.firmware, null);
});

test('an unassigned phone keeps its latest fetch', async (t) => {
  let now = Date.parse('2030-03-01T10:00:00.000Z');
  const s = await startServer({ env: { PROV_TRUST_PROXY: '127.0.0.1' }, clock: () => new Date(now) });
  t.teardown(s.close);
  const mac = '805ec0aa0001';
  t.is((await prov(s, `${mac}.boot`, yealinkUa(mac), { 'x-forwarded-for': '10.0.0.5' })).status, 404);
  now += 3_600_000;
  t.is((await prov(s, `${mac}.cfg`, yealinkUa(mac, '66.86.0.20'), { 'x-forwarded-for': '10.0.0.6' })).status, 404);
  const d = (await s.api('GET', `/api/devices/${mac}`)).json;
  t.is(d.status, 'unassigned');
  t.is(d.firmware, '66.86.0.20');
  t.is(d.lastFetch, null, 'it proved nothing: no fetch of its own');
  t.deepEqual(d.lastSeen, { at: '2030-03-01T11:00:00.000Z', ip: '10.0.0.6', userAgent: yealinkUa(mac, '66.86.0.20'), file: `${mac}.cfg`, count: 2 });
  t.deepEqual((await s.api('GET', `/api/audit?target=device:${mac}`)).json, [], 'what an inbox phone says is not audited');
});

test('made-up MACs cannot push real phones out of the unassigned list, and one address holds only its share', async (t) => {
  let now = Date.parse('2030-03-01T10:00:00.000Z');
  const s = await startServer({
    env: { PROV_MAX_UNASSIGNED: '100', PROV_TRUST_PROXY: '127.0.0.1', PROV_SCAN_THRESHOLD: '1000000' },
    clock: () => new Date((now += 1_000)),
  });
  t.teardown(s.close);
  const ask = (mac: string, ip: string) => prov(s, `${mac}.cfg`, yealinkUa(mac), { 'x-forwarded-for': ip });
  const real = Array.from({ length: 5 }, (_, i) => `805ec0bb000${i}`);
  // Real phones keep asking (a sighting is kept at most once per device every few minutes).
  for (let round = 0; round < 2; round++) {
    for (const [i, mac] of real.entries()) await ask(mac, `10.0.1.${i + 1}`);
    now += SIGHTING_MS;
  }
  // One host makes up MACs...
  for (let i = 0; i < 40; i++) await ask(`805ec0cc${i.toString(16).padStart(4, '0')}`, '10.6.6.6');
  const early = (await s.api('GET', '/api/devices?status=unassigned&limit=1000')).json as { lastSeen: { ip: string } }[];
  t.is(early.filter((d) => d.lastSeen.ip === '10.6.6.6').length, 10, 'the list has room, but not for one host');
  // ...and many hosts together, more than the list holds.
  for (let i = 0; i < 150; i++) await ask(`805ec0dd${i.toString(16).padStart(4, '0')}`, `10.7.${i >> 8}.${i & 255}`);

  const list: { mac: string; lastSeen: { ip: string } }[] = [];
  for (let cursor = '/api/devices?status=unassigned&limit=1000'; ; ) {
    const r = await s.api('GET', cursor);
    list.push(...r.json);
    const next = /<([^>]+)>/.exec(r.headers.get('link') ?? '');
    if (!next) break;
    cursor = next[1]!;
  }
  t.true(list.length <= 100, `${list.length} kept`);
  for (const mac of real) t.true(list.some((d) => d.mac === mac), `real phone ${mac} kept`);
  t.true(list.filter((d) => d.lastSeen.ip === '10.6.6.6').length <= 10, 'one address holds at most a tenth');
  // The newest made-up MACs are the ones still there.
  t.true(list.some((d) => d.mac === `805ec0dd${(149).toString(16).padStart(4, '0')}`));
});
