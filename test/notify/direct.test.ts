// check-sync NOTIFY straight to the phone (PROV_NOTIFY=direct), with sipp as
// the phone: the right Event per vendor, pending → synced after the fetch the
// NOTIFY asks for, and failures visible per device.
import test, { type ExecutionContext } from 'ava';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { DIRECT_NOTIFY_ENV, notifyTransactions, startSipp, type Received } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const EXT = '1001';
const ENV = DIRECT_NOTIFY_ENV;

const PHONES = {
  yealink: { mac: '805ec0a1b2c3', model: 'T46S', file: '805ec0a1b2c3.cfg', ua: 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3', event: 'check-sync;reboot=false' },
  polycom: { mac: '0004f2a1b2c5', model: 'VVX_450', file: '0004f2a1b2c5-sip.cfg', ua: 'FileTransport PolycomVVX-VVX_450-UA/6.4.3.5156 Type/Application', event: 'check-sync' },
} as const;
type Vendor = keyof typeof PHONES;

async function must(p: Promise<{ status: number; text: string; json: any }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
  return r.json;
}

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;
const notifyIs = (s: TestServer, mac: string, states: string[], ms?: number) =>
  until(`notify of ${mac} in ${states}`, async () => {
    const d = await device(s, mac);
    return d.notify && states.includes(d.notify.state) ? d : null;
  }, ms);

async function setUp(t: ExecutionContext, vendor: Vendor, sippPort: number, ext = EXT, transport = 'udp', env: Record<string, string> = {}) {
  const s = await startServer({ env: { ...ENV, ...env } });
  t.teardown(s.close);
  const p = PHONES[vendor];
  await must(s.api('POST', '/api/extensions', { body: extensionBody(ext, { secret: 'First-Secret-1' }) }), 201);
  await must(s.api('POST', '/api/devices', {
    body: { mac: p.mac, vendor, model: p.model, lines: [{ extension: ext }], sipContact: `sip:127.0.0.1:${sippPort};transport=${transport}` },
  }), 201);
  const creds = await phoneCredentials(s, p.mac);
  const fetchConfig = async () => {
    const res = await fetch(`${s.url}/prov/${p.file}`, { headers: { 'user-agent': p.ua, authorization: basic(creds) } });
    t.is(res.status, 200);
    return res.text();
  };
  t.true((await fetchConfig()).includes('First-Secret-1'));
  t.is((await device(s, p.mac)).status, 'synced');
  return { s, p, fetchConfig };
}

const notifies = (msgs: Received[]) => msgs.filter((m) => m.startLine.startsWith('NOTIFY '));

for (const vendor of ['yealink', 'polycom'] as const) {
  test(`${vendor}: a secret change sends one check-sync the phone accepts, then its fetch makes it synced`, async (t) => {
    const sipp = await startSipp(t, `phone-${vendor}.xml`, { calls: 1 });
    const { s, p, fetchConfig } = await setUp(t, vendor, sipp.port);

    t.is((await s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } })).status, 200);
    const acked = await notifyIs(s, p.mac, ['acknowledged', 'failed']);
    t.like(acked.notify, { state: 'acknowledged', via: 'direct', target: `udp:127.0.0.1:${sipp.port}`, code: 200, attempts: 1 });
    t.is(acked.status, 'pending', 'acknowledged is not synced: the phone has yet to fetch');
    t.is(await sipp.exited, 0, 'sipp saw the Event it expects and answered 200');

    const [notify, ...more] = notifyTransactions(sipp.received());
    t.deepEqual(more.map((m) => m.startLine), [], 'one NOTIFY transaction: no retry after the 200');
    t.is(notify!.startLine, `NOTIFY sip:${EXT}@127.0.0.1:${sipp.port} SIP/2.0`);
    t.is(notify!.header('Event'), p.event);
    t.is(notify!.header('Subscription-State'), 'terminated');
    t.regex(notify!.header('Via')!, /^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK[0-9a-f]+;rport$/);
    t.regex(notify!.header('From')!, /;tag=[0-9a-f]+$/);
    t.is(notify!.header('To'), `<sip:${EXT}@127.0.0.1:${sipp.port}>`);
    t.truthy(notify!.header('Call-ID'));
    t.is(notify!.header('CSeq'), '1 NOTIFY');
    t.is(notify!.header('Max-Forwards'), '70');
    t.regex(notify!.header('Contact')!, /^<sip:provisioning@127\.0\.0\.1:\d+;transport=udp>$/);
    t.is(notify!.header('Content-Length'), '0');

    t.true((await fetchConfig()).includes('Second-Secret-2'));
    const synced = await device(s, p.mac);
    t.is(synced.status, 'synced');
    t.is(synced.notify.state, 'acknowledged');
    t.false(s.logs.some((l) => l.includes('Second-Secret-2')), 'the secret never reaches the log');
  });
}

test('a phone that never answers: retransmissions, retries with backoff, then failed', async (t) => {
  const sipp = await startSipp(t, 'phone-silent.xml');
  // Timer F of 1.5 s leaves room for several copies even on a busy machine.
  const { s, p } = await setUp(t, 'yealink', sipp.port, EXT, 'udp', { PROV_NOTIFY_TIMER_F_MS: '1500' });
  await must(s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } }), 200);
  const failed = await notifyIs(s, p.mac, ['failed', 'acknowledged'], 40_000);
  t.like(failed.notify, { state: 'failed', via: 'direct', code: null, attempts: 3 });

  const byCall = new Map<string, number>();
  for (const m of notifies(sipp.received())) byCall.set(m.header('Call-ID')!, (byCall.get(m.header('Call-ID')!) ?? 0) + 1);
  t.is(byCall.size, 3, 'the first try and two retries');
  // The exact schedule (T1, doubling, T2, timer F) is checked under virtual time in transaction.test.ts.
  for (const copies of byCall.values()) t.true(copies >= 2, `timer E retransmitted the NOTIFY (${copies} copies)`);
  t.true(s.logs.some((l) => l.includes('polling takes over')));
});

for (const code of [481, 489] as const) {
  test(`a phone that refuses with ${code}: failed with the code, not retried`, async (t) => {
    const sipp = await startSipp(t, `phone-refuse-${code}.xml`, { calls: 1 });
    const { s, p } = await setUp(t, 'polycom', sipp.port);
    await must(s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } }), 200);
    const failed = await notifyIs(s, p.mac, ['failed', 'acknowledged']);
    t.like(failed.notify, { state: 'failed', code, attempts: 1 });
    t.is(await sipp.exited, 0, sipp.output());
    t.is(notifyTransactions(sipp.received()).length, 1);
    const listed = await s.api('GET', '/api/devices?notify=failed');
    t.deepEqual(listed.json.map((d: any) => d.mac), [p.mac]);
    t.deepEqual((await s.api('GET', '/api/devices?notify=acknowledged')).json, []);
  });
}

test('a phone that challenges the NOTIFY in a realm of the line gets one Digest retry with its credentials', async (t) => {
  const sipp = await startSipp(t, 'phone-digest.xml', { calls: 1 });
  const { s, p } = await setUp(t, 'yealink', sipp.port, '3001');
  // The phone challenges in realm "phone": the admin names it as one of the line's realms.
  await must(s.api('PATCH', '/api/extensions/3001', { body: { realms: ['phone'] } }), 200);
  await must(s.api('PUT', '/api/extensions/3001/secret', { body: { secret: 'Digest-Secret-1' } }), 200);
  const done = await notifyIs(s, p.mac, ['acknowledged', 'failed']);
  t.like(done.notify, { state: 'acknowledged', code: 200, attempts: 1 });
  t.is(await sipp.exited, 0, sipp.output());
  const [first, second, ...rest] = notifyTransactions(sipp.received());
  t.deepEqual(rest, [], 'the bare NOTIFY and one retry with credentials');
  t.is(first!.header('Authorization'), undefined);
  t.is(second!.header('CSeq'), '2 NOTIFY');
  t.is(second!.header('Call-ID'), first!.header('Call-ID'));
  t.regex(second!.header('Authorization')!, /^Digest username="3001", realm="phone", nonce="5f2c0a9b7e41d3c8"/);
  t.false(second!.text.includes('Digest-Secret-1'), 'the secret itself never travels');
});

for (const [scenario, why] of [
  ['phone-foreign-realm.xml', 'a realm that is not the line registrar\'s'],
  ['phone-rfc2069.xml', 'no qop (RFC 2069)'],
] as const) {
  test(`a challenge with ${why} gets no answer: the outcome is failed with the code`, async (t) => {
    const sipp = await startSipp(t, scenario, { calls: 1 });
    const { s, p } = await setUp(t, 'yealink', sipp.port, '3001');
    await must(s.api('PUT', '/api/extensions/3001/secret', { body: { secret: 'Digest-Secret-1' } }), 200);
    const done = await notifyIs(s, p.mac, ['acknowledged', 'failed']);
    t.like(done.notify, { state: 'failed', code: 401, attempts: 1 });
    t.is(await sipp.exited, 0, sipp.output());
    const sent = notifyTransactions(sipp.received());
    t.is(sent.length, 1, 'no second NOTIFY');
    t.is(sent[0]!.header('Authorization'), undefined);
    t.false(sipp.received().some((m) => /authorization:/i.test(m.text)), 'no Authorization header at all');
  });
}

test('over TCP: one connection, no retransmission, acknowledged', async (t) => {
  const sipp = await startSipp(t, 'phone-polycom.xml', { calls: 1, tcp: true });
  const { s, p } = await setUp(t, 'polycom', sipp.port, EXT, 'tcp');
  await must(s.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Second-Secret-2' } }), 200);
  const done = await notifyIs(s, p.mac, ['acknowledged', 'failed']);
  t.like(done.notify, { state: 'acknowledged', target: `tcp:127.0.0.1:${sipp.port}`, code: 200 });
  t.is(await sipp.exited, 0, sipp.output());
  const [notify, ...more] = notifies(sipp.received());
  t.deepEqual(more, []);
  t.regex(notify!.header('Via')!, /^SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bK/);
});
