// The last step of the truth, with a real Kamailio running the shipped
// examples/kamailio/registrar-feed.cfg and sipp as the phone: the registrar
// reports each REGISTER it answered, and the admin sees the phone's line
// `registered` with the current secret, `old-secret` while it still uses the
// previous one during the grace, `failed` for a wrong password (and the
// device flagged), `expired` after it unregisters; the rotation ends on
// that evidence. Reports are bound to the token's realms and bounded.
import test, { type ExecutionContext } from 'ava';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { freeUdpPort, sippRegister, startKamailio, type Kamailio, type SipAccount } from '../helpers/registrar-peers.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import { cfgGet, readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';

const MAC = '805ec0a1b2d9';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:d9';

interface Phone extends SipAccount {
  login: { user: string; password: string };
}

async function fetchConfig(s: TestServer, phone: Phone | null): Promise<Phone> {
  const url = `${s.url}/prov/${MAC}.cfg`;
  const r = phone
    ? await fetchWithDigest(url, phone.login, { headers: { 'user-agent': UA } })
    : await fetch(url, { headers: { 'user-agent': UA } }).then(async (res) => ({ status: res.status, text: await res.text() }));
  if (r.status !== 200) throw new Error(`fetch: ${r.status}`);
  const cfg = readYealinkCfg(r.text);
  return {
    user: cfgGet(cfg, 'account.1.user_name'),
    authUser: cfgGet(cfg, 'account.1.auth_name'),
    password: cfgGet(cfg, 'account.1.password'),
    login: { user: cfgGet(cfg, 'static.auto_provision.server.username'), password: cfgGet(cfg, 'static.auto_provision.server.password') },
  };
}

async function registers(t: ExecutionContext, k: Kamailio, account: SipAccount, expect: 200 | 401, what: string, options: { expires?: number; localPort: number }) {
  const r = await sippRegister(t, k.port, account, expect, options);
  t.is(r.code, 0, `${what}: expected ${expect}\n${r.output}\n--- kamailio\n${k.output().slice(-3000)}`);
}

const line = async (s: TestServer) => (await s.api('GET', `/api/devices/${MAC}`)).json.lines[0].registration;
const lineIs = (s: TestServer, state: string, version: number | null) =>
  until(`line ${state} v${version}`, async () => {
    const r = await line(s);
    return r.state === state && r.secretVersion === version ? r : null;
  });

test('a phone is shown registered with the current secret, old-secret during the grace, failed, then expired; the grace ends on the evidence', async (t) => {
  t.timeout(180_000);
  const s = await startServer({ env: { PROV_NOTIFY: 'off' } });
  t.teardown(() => s.close());
  const pbx = (await s.api('POST', '/api/tokens', { body: { name: 'kamailio', role: 'pbx', realms: ['127.0.0.1'] } })).json.token as string;
  const k = await startKamailio(t, 'registrar-feed.cfg', {
    FEED_URL: `${s.url}/pbx/v1/credentials/`,
    REPORT_URL: `${s.url}/pbx/v1/registrations`,
    PBX_TOKEN: pbx,
    CACHE_SECONDS: 1,
    FEED_TIMEOUT: 2,
  });
  const server = { host: '127.0.0.1', port: k.port };
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { authUsername: 'desk-1001', server }) })).status, 201);
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } })).status, 201);
  const phonePort = await freeUdpPort();
  const at = { localPort: phonePort };

  const first = await fetchConfig(s, null);
  await registers(t, k, first, 200, 'the provisioned secret', at);
  t.like(await lineIs(s, 'registered', 1).catch((err) => {
    throw new Error(`${err.message}\n--- kamailio\n${k.output().slice(-4000)}`);
  }), { state: 'registered', secretVersion: 1 });
  const ext = (await s.api('GET', '/api/extensions/1001')).json;
  t.like(ext.registrations[0], { sourceIp: '127.0.0.1', secretVersion: 1, current: true, userAgent: 'Yealink SIP-T46S 66.86.0.15' });
  t.regex(ext.registrations[0].contact, new RegExp(`^sip:1001@127\\.0\\.0\\.1:${phonePort}`));

  // A new secret: until the phone fetches it, it registers with the old one (the grace).
  t.is((await s.api('POST', '/api/extensions/1001/secret/generate', { body: {} })).status, 200);
  await registers(t, k, first, 200, 'the old secret during the grace', at);
  t.like(await lineIs(s, 'old-secret', 1), { state: 'old-secret' });
  const rotating = (await s.api('GET', '/api/extensions/1001')).json.rotation;
  t.deepEqual(rotating.waitingFor.macs, [MAC]);
  t.is(rotating.waitingFor.contacts.length, 1, 'the contact still on the old secret is named');

  // It fetches the new secret: its file is synced, but the registrar still has it on the old one.
  const second = await fetchConfig(s, first);
  t.is((await s.api('GET', `/api/devices/${MAC}`)).json.status, 'synced');
  const waiting = (await s.api('GET', '/api/extensions/1001')).json.rotation;
  t.truthy(waiting.previousAcceptedUntil, 'the grace holds while a registration uses the old secret');
  t.deepEqual(waiting.waitingFor.macs, []);
  // It re-registers with the new one: registered with version 2, and the grace ends.
  await registers(t, k, second, 200, 'the new secret', at);
  t.like(await lineIs(s, 'registered', 2), { state: 'registered' });
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation, { previousAcceptedUntil: null, waitingFor: { macs: [], links: [], contacts: [] } });

  // A wrong password: failed, and the synced device is flagged.
  await registers(t, k, { ...second, password: `${second.password}x` }, 401, 'a wrong password', at);
  t.like(await lineIs(s, 'failed', null), { state: 'failed' });
  const flagged = (await s.api('GET', '/api/devices?registration=failed')).json as { mac: string }[];
  t.deepEqual(flagged.map((d) => d.mac), [MAC]);

  // It unregisters: expired.
  await registers(t, k, second, 200, 'an unregistration', { ...at, expires: 0 });
  t.like(await lineIs(s, 'expired', 2), { state: 'expired' });
  t.deepEqual((await s.api('GET', '/api/devices?registration=failed')).json, []);
  t.is((await s.api('GET', '/api/extensions/1001')).json.registrations.length, 1, 'one record per contact');
});

test('a report is bound to the token\'s realms and to the extension\'s, and 1,000 reports for one contact keep one record', async (t) => {
  const s = await startServer({ env: { PROV_NOTIFY: 'off' } });
  t.teardown(() => s.close());
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: { host: 'pbx-a.example.com' } }) })).status, 201);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('2001', { server: { host: 'pbx-b.example.com' } }) })).status, 201);
  const token = (await s.api('POST', '/api/tokens', { body: { name: 'a', role: 'pbx', realms: ['pbx-a.example.com'] } })).json.token as string;
  const report = (body: Record<string, unknown>) => s.api('POST', '/pbx/v1/registrations', { token, body });
  const good = { authUsername: '1001', realm: 'pbx-a.example.com', result: 'ok', secretVersion: 1, contact: 'sip:1001@10.0.0.7:5062', expires: 3600 };
  t.is((await report(good)).status, 204);
  t.is((await report({ ...good, authUsername: '2001', realm: 'pbx-b.example.com' })).status, 404, 'a realm outside the token\'s list');
  t.is((await report({ ...good, realm: 'pbx-b.example.com' })).status, 404, 'a realm the extension does not register in');
  t.is((await s.api('POST', '/pbx/v1/registrations', { token: s.adminToken, body: good })).status, 403, 'an admin token');
  // Bad bodies are refused and change nothing.
  for (const bad of [{ ...good, result: 'maybe' }, { ...good, expires: -1 }, { ...good, contact: 'sip:x y' }, { ...good, secretVersion: 0 }, { ...good, extra: 1 }]) {
    t.is((await report(bad)).status, 422, JSON.stringify(bad));
  }
  t.is((await s.api('POST', '/pbx/v1/registrations', { token, raw: '{', headers: { 'content-type': 'application/json' } })).status, 400);
  const form = new URLSearchParams({ ...good, secretVersion: '1', expires: '60', contact: 'sip:1001@10.0.0.8:5062' } as Record<string, string>).toString();
  t.is((await s.api('POST', '/pbx/v1/registrations', { token, raw: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 204, 'form-encoded, as the Kamailio script sends it');

  const statuses = new Map<number, number>();
  // One registrar's token: what it may report is limited per second; past that, 429.
  for (let i = 0; i < 1000; i++) {
    const r = await report({ ...good, callId: `call-${i}` });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  }
  t.deepEqual([...statuses.keys()].filter((c) => c !== 204 && c !== 429), [], 'taken, or refused for the rate');
  const regs = (await s.api('GET', '/api/extensions/1001')).json.registrations as { contact: string }[];
  t.deepEqual(regs.map((r) => r.contact).sort(), ['sip:1001@10.0.0.7:5062', 'sip:1001@10.0.0.8:5062']);
  t.true((statuses.get(204) ?? 0) >= 400, 'a burst of reports is taken');
  // Made-up contacts cannot grow it either: the newest 32 of an extension are kept (another token, fresh for the rate).
  const other = (await s.api('POST', '/api/tokens', { body: { name: 'b', role: 'pbx', realms: ['pbx-a.example.com'] } })).json.token as string;
  for (let i = 0; i < 50; i++) {
    t.is((await s.api('POST', '/pbx/v1/registrations', { token: other, body: { ...good, contact: `sip:1001@10.0.1.${i}:5060` } })).status, 204);
  }
  t.is((await s.api('GET', '/api/extensions/1001')).json.registrations.length, 32);
});
