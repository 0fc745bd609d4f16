// Phones that never answer a NOTIFY (switched off, or behind a NAT that drops
// it) each hold a try open until timer F. With the defaults they must not
// hold back a phone that answers: the rate limits how fast tries start, and
// the bound on tries in flight is sized so that silent phones cannot fill it.
// A dozen silent phones are more than the old bound of 10; timer F is a
// minute, so while they wait the answering phone is either served or stuck.
import dgram from 'node:dgram';
import test from 'ava';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { DIRECT_NOTIFY_ENV, notifyTransactions, startSipp } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const SILENT = 12;
const UA = 'Yealink SIP-T46S 66.86.0.15';
const silentMac = (i: number) => `805ec0b100${i.toString(16).padStart(2, '0')}`;
const ANSWERING = '805ec0b20001';

/** A UDP peer that takes every NOTIFY and answers none, as a switched-off phone's NAT would. */
async function blackHole(t: { teardown(fn: () => void): void }) {
  const socket = dgram.createSocket('udp4');
  const callIds = new Set<string>();
  socket.on('message', (msg) => {
    const callId = /^Call-ID:\s*(.+)$/im.exec(msg.toString('latin1'))?.[1]?.trim();
    if (callId) callIds.add(callId);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  return { port: socket.address().port, callIds };
}

async function device(s: TestServer, mac: string, extension: string, contact: string) {
  const made = await s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', model: 'T46S', lines: [{ extension }], sipContact: contact } });
  if (made.status !== 201) throw new Error(`setup: ${made.text}`);
  // A first fetch: a phone is pushed only changes made after it has its files.
  const creds = await phoneCredentials(s, mac);
  const res = await fetch(`${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': `${UA} ${mac}`, authorization: basic(creds) } });
  if (res.status !== 200) throw new Error(`setup: first fetch of ${mac} answered ${res.status}`);
}

test('a dozen phones that never answer do not hold back one that does', async (t) => {
  const hole = await blackHole(t);
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 1 });
  // Only the bound on tries in flight is left to its default.
  const s = await startServer({ env: { ...DIRECT_NOTIFY_ENV, PROV_NOTIFY_TIMER_F_MS: '60000', PROV_NOTIFY_BACKOFF_MS: 'none' } });
  t.teardown(s.close);
  for (const ext of ['1001', '1002']) if ((await s.api('POST', '/api/extensions', { body: extensionBody(ext) })).status !== 201) throw new Error('setup');
  for (let i = 0; i < SILENT; i++) await device(s, silentMac(i), '1001', `sip:127.0.0.1:${hole.port};transport=udp`);
  await device(s, ANSWERING, '1002', `sip:127.0.0.1:${sipp.port};transport=udp`);

  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Silent-Secret-2' } })).status, 200);
  // Sent, all of them: none is left queued behind the others.
  await until('every silent phone sent its NOTIFY', async () => (await s.api('GET', '/api/devices?notify=sent')).json.length === SILENT);
  t.is(hole.callIds.size, SILENT, 'a NOTIFY reached the silent address for every one of them');

  t.is((await s.api('PUT', '/api/extensions/1002/secret', { body: { secret: 'Answer-Secret-2' } })).status, 200);
  const answered = await until('the answering phone acknowledged', async () => {
    const d = (await s.api('GET', `/api/devices/${ANSWERING}`)).json;
    return ['acknowledged', 'failed'].includes(d.notify?.state) ? d : null;
  });
  t.like(answered.notify, { state: 'acknowledged', code: 200, attempts: 1 });
  t.is(await sipp.exited, 0, sipp.output());
  t.is(notifyTransactions(sipp.received()).length, 1);
  // It was served while every silent try was still open, not after the first gave up.
  const silent = (await s.api('GET', '/api/devices?vendor=yealink')).json.filter((d: { mac: string }) => d.mac !== ANSWERING);
  t.is(silent.length, SILENT);
  t.deepEqual([...new Set(silent.map((d: { notify: { state: string } }) => d.notify.state))], ['sent']);
});
