// The admin side of check-sync: explicit sync requests (admin, audited, 202),
// sipContact on devices, ?notify= on the device list, and what happens with
// PROV_NOTIFY off.
import test from 'ava';
import { loadConfig, ConfigError } from '../../server/config.ts';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { notifyTransactions, startSipp } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const ENV = { PROV_NOTIFY: 'direct', PROV_NOTIFY_JITTER_MS: '0', PROV_NOTIFY_T1_MS: '40', PROV_NOTIFY_TIMER_F_MS: '2000', PROV_NOTIFY_BACKOFF_MS: 'none', PROV_SWEEP_MINUTES: '0', PROV_ALLOW_BASIC_OVER_HTTP: 'true' };
const YEA = '805ec0a1b2c3';
const YEA2 = '805ec0a1b2c4';

async function seed(s: TestServer, contact: string | null) {
  if ((await s.api('POST', '/api/extensions', { body: extensionBody('1001') })).status !== 201) throw new Error('setup');
  const r = await s.api('POST', '/api/devices', { body: { mac: YEA, vendor: 'yealink', lines: [{ extension: '1001' }], sipContact: contact } });
  if (r.status !== 201) throw new Error(`setup: ${r.text}`);
  return r.json;
}

test('sipContact is validated, settable and clearable; notify starts null', async (t) => {
  const s = await startServer({ env: { PROV_SWEEP_MINUTES: '0' } });
  t.teardown(s.close);
  const created = await seed(s, 'sip:10.0.4.7:5060;transport=udp');
  t.is(created.sipContact, 'sip:10.0.4.7:5060;transport=udp');
  t.is(created.notify, null);
  for (const bad of ['10.0.4.7', 'sip:10.0.4.7:99999', 'sip:10.0.4.7;transport=sctp', 'http://x', 'sip:a b', 'sip:x\r\nVia: y']) {
    const r = await s.api('PATCH', `/api/devices/${YEA}`, { body: { sipContact: bad } });
    t.is(r.status, 422, bad);
    t.is(r.json.error.code, 'invalid-sip-contact', bad);
  }
  const bad = await s.api('POST', '/api/devices', { body: { mac: YEA2, vendor: 'yealink', sipContact: 'nonsense' } });
  t.is(bad.status, 422);
  t.is((await s.api('GET', `/api/devices/${YEA2}`)).status, 404, 'nothing was created');
  t.is((await s.api('PATCH', `/api/devices/${YEA}`, { body: { sipContact: 'sips:[2001:db8::7]' } })).json.sipContact, 'sips:[2001:db8::7]');
  t.is((await s.api('PATCH', `/api/devices/${YEA}`, { body: { sipContact: null } })).json.sipContact, null);
  t.is((await s.api('GET', '/api/devices?notify=sideways')).status, 422);
  t.deepEqual((await s.api('GET', '/api/devices?notify=failed')).json, []);
});

test('with PROV_NOTIFY off a sync request is refused with notify-off and changes nothing', async (t) => {
  const s = await startServer({ env: { PROV_SWEEP_MINUTES: '0', PROV_NOTIFY: 'off' } });
  t.teardown(s.close);
  await seed(s, 'sip:127.0.0.1:5999');
  const r = await s.api('POST', `/api/devices/${YEA}/sync`);
  t.is(r.status, 409);
  t.is(r.json.error.code, 'notify-off');
  t.is((await s.api('POST', '/api/extensions/1001/sync')).json.error.code, 'notify-off');
  t.deepEqual((await s.api('GET', '/api/audit?action=device.sync-requested')).json, []);
});

test('an explicit device sync answers 202 with the queued device, is audited, and ends acknowledged', async (t) => {
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 2 });
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  await seed(s, `sip:127.0.0.1:${sipp.port}`);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token;
  t.is((await s.api('POST', `/api/devices/${YEA}/sync`, { token: viewer })).status, 403);

  const r = await s.api('POST', `/api/devices/${YEA}/sync`);
  t.is(r.status, 202);
  t.is(r.json.devices.length, 1);
  t.like(r.json.devices[0], { mac: YEA, notify: { state: 'queued', via: 'direct', target: `udp:127.0.0.1:${sipp.port}`, code: null, attempts: 0 } });
  const d = await until('acknowledged', async () => {
    const x = (await s.api('GET', `/api/devices/${YEA}`)).json;
    return x.notify?.state === 'acknowledged' ? x : null;
  });
  t.is(d.notify.code, 200);
  t.deepEqual((await s.api('GET', '/api/devices?notify=acknowledged')).json.map((x: any) => x.mac), [YEA]);
  const audit = (await s.api('GET', '/api/audit?action=device.sync-requested')).json;
  t.is(audit.length, 1);
  t.is(audit[0].target, `device:${YEA}`);
  t.deepEqual(audit[0].details, { devices: [YEA] });

  // An extension sync takes every reachable device on it and leaves out the one with no known address.
  t.is((await s.api('POST', '/api/devices', { body: { mac: YEA2, vendor: 'yealink', lines: [{ extension: '1001' }] } })).status, 201);
  const ext = await s.api('POST', '/api/extensions/1001/sync');
  t.is(ext.status, 202);
  t.deepEqual(ext.json.devices.map((x: any) => x.mac), [YEA]);
  t.is((await s.api('GET', '/api/audit?action=extension.sync-requested')).json[0].target, 'extension:1001');
  await until('second acknowledged', async () => (await sipp.exited) === 0);

  const refused = await s.api('POST', `/api/devices/${YEA2}/sync`);
  t.is(refused.status, 409);
  t.is(refused.json.error.code, 'not-notifiable');
  t.is((await s.api('POST', '/api/devices/805ec0ffffff/sync')).status, 404);
  t.is((await s.api('POST', '/api/extensions/9999/sync')).status, 404);
});

test('a change does not notify a phone that never fetched from us (it has not read the no-reboot setting yet)', async (t) => {
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 1 });
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  await seed(s, `sip:127.0.0.1:${sipp.port}`);
  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Second-Secret-2' } })).status, 200);
  const creds = await phoneCredentials(s, YEA);
  // Its first fetch comes later; only the change after it is pushed.
  t.is((await fetch(`${s.url}/prov/${YEA}.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15', authorization: basic(creds) } })).status, 200);
  t.is((await s.api('GET', `/api/devices/${YEA}`)).json.notify, null);
  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Third-Secret-3' } })).status, 200);
  t.is(await sipp.exited, 0);
  t.is(notifyTransactions(sipp.received()).length, 1);
});

test('notify settings are checked at start', (t) => {
  const bad: [Record<string, string>, string][] = [
    [{ PROV_NOTIFY: 'sometimes' }, 'PROV_NOTIFY'],
    [{ PROV_NOTIFY_RATE: '0' }, 'PROV_NOTIFY_RATE'],
    [{ PROV_NOTIFY_CONCURRENCY: 'many' }, 'PROV_NOTIFY_CONCURRENCY'],
    [{ PROV_NOTIFY_CONCURRENCY: '10001' }, 'PROV_NOTIFY_CONCURRENCY'],
    [{ PROV_NOTIFY_BACKOFF_MS: '30s' }, 'PROV_NOTIFY_BACKOFF_MS'],
    [{ PROV_NOTIFY_T1_MS: '1000', PROV_NOTIFY_T2_MS: '500' }, 'PROV_NOTIFY_T2_MS'],
    [{ PROV_NOTIFY_BIND: 'everywhere' }, 'PROV_NOTIFY_BIND'],
    [{ PROV_NOTIFY_PORT: '70000' }, 'PROV_NOTIFY_PORT'],
  ];
  for (const [env, variable] of bad) {
    const err = t.throws(() => loadConfig(env), { instanceOf: ConfigError }, variable);
    t.is(err?.variable, variable);
  }
  const n = loadConfig({}).notify;
  t.deepEqual(n, {
    mode: 'direct', rate: 20, concurrency: 640, jitterMs: 2000, t1Ms: 500, t2Ms: 4000, timerFMs: 32_000,
    backoffMs: [30_000, 120_000, 600_000], fetchWaitMs: 120_000, bindHost: '0.0.0.0', bindPort: 0, tlsVerify: true,
  });
  t.is(loadConfig({ PROV_NOTIFY_T1_MS: '100' }).notify.timerFMs, 6400, 'timer F is 64 × T1');
  // In flight: what the rate starts within timer F, so phones that never answer cannot fill it.
  t.is(loadConfig({ PROV_NOTIFY_RATE: '100' }).notify.concurrency, 3200);
  t.is(loadConfig({ PROV_NOTIFY_RATE: '5', PROV_NOTIFY_TIMER_F_MS: '1000' }).notify.concurrency, 10, 'never fewer than 10');
  t.is(loadConfig({ PROV_NOTIFY_RATE: '1000' }).notify.concurrency, 10_000, 'never more than 10,000');
  t.is(loadConfig({ PROV_NOTIFY_CONCURRENCY: '10' }).notify.concurrency, 10, 'a set value wins');
  t.deepEqual(loadConfig({ PROV_NOTIFY_BACKOFF_MS: 'none' }).notify.backoffMs, []);
});

test('a phone that acknowledges but does not fetch is flagged no-fetch, until it fetches', async (t) => {
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 1 });
  const s = await startServer({ env: { ...ENV, PROV_NOTIFY_FETCH_WAIT_MS: '300' } });
  t.teardown(s.close);
  await seed(s, `sip:127.0.0.1:${sipp.port}`);
  const creds = await phoneCredentials(s, YEA);
  const fetchConfig = () => fetch(`${s.url}/prov/${YEA}.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15', authorization: basic(creds) } });
  t.is((await fetchConfig()).status, 200);
  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Second-Secret-2' } })).status, 200);
  const flagged = await until('no-fetch', async () => {
    const x = (await s.api('GET', `/api/devices/${YEA}`)).json;
    return x.notify?.state === 'no-fetch' ? x : null;
  });
  t.is(flagged.status, 'pending');
  t.deepEqual((await s.api('GET', '/api/devices?notify=no-fetch')).json.map((x: any) => x.mac), [YEA]);
  t.is((await fetchConfig()).status, 200);
  const after = (await s.api('GET', `/api/devices/${YEA}`)).json;
  t.is(after.status, 'synced');
  t.is(after.notify.state, 'acknowledged', 'the fetch came after all');
  t.deepEqual((await s.api('GET', '/api/devices?notify=no-fetch')).json, []);
});
