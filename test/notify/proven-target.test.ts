// Where a direct NOTIFY may go, tried as an attacker on the same network:
// a UDP SIP listener on 5060 of an address that answers every request with a
// Digest challenge and records what reaches it. An attacker who asks first
// for a new phone's MAC (so it lands in the inbox with the attacker's
// address), and waits for an admin to assign it and press Sync, gets no
// NOTIFY and no Authorization: the device never proved itself. Once the
// real phone claims its file from its own address, that address is the
// target, and a challenge in the line's realm is answered there.
import dgram from 'node:dgram';
import test, { type ExecutionContext } from 'ava';
import { requestFrom, walk, yealinkT46S } from '../helpers/office.ts';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const ATTACKER = '127.0.0.5';
const PHONE = '127.0.0.6';
const ENV = {
  PROV_NOTIFY: 'direct',
  PROV_NOTIFY_JITTER_MS: '0',
  PROV_NOTIFY_T1_MS: '40',
  PROV_NOTIFY_TIMER_F_MS: '1000',
  PROV_NOTIFY_BACKOFF_MS: 'none',
  PROV_SWEEP_MINUTES: '0',
};

/** A SIP peer on <address>:5060/UDP that challenges every request in `realm` and keeps what it received. */
async function challenger(t: ExecutionContext, address: string, realm: string) {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (msg, from) => {
    const text = msg.toString('utf8');
    received.push(text);
    const header = (name: string) => new RegExp(`^${name}:.*$`, 'im').exec(text)?.[0] ?? '';
    const status = /^authorization:/im.test(text) ? 'SIP/2.0 200 OK' : 'SIP/2.0 401 Unauthorized';
    const reply = [
      status,
      header('Via'),
      header('From'),
      `${header('To')};tag=peer`,
      header('Call-ID'),
      header('CSeq'),
      `WWW-Authenticate: Digest realm="${realm}", nonce="0123456789abcdef", qop="auth", algorithm=MD5`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(5060, address, () => resolve());
  });
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { received, notifies: () => received.filter((m) => m.startsWith('NOTIFY ')) };
}

async function serverWithLine(t: ExecutionContext): Promise<TestServer> {
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  const r = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Line-Secret-1' }) });
  if (r.status !== 201) throw new Error(r.text);
  return s;
}

test('an address that never proved itself gets no NOTIFY and no Authorization; the phone that claims from its own address does', async (t) => {
  const attacker = await challenger(t, ATTACKER, 'attacker');
  const real = await challenger(t, PHONE, 'pbx.example.com');
  const s = await serverWithLine(t);
  const phone = yealinkT46S('805ec0c0ffee');

  // The attacker asks first, with the phone's User-Agent: the MAC lands in the inbox with the attacker's address.
  t.is((await requestFrom(ATTACKER, `${s.url}/prov/${phone.mac}.cfg`, { headers: { 'user-agent': phone.ua } })).status, 404);
  const seen = (await s.api('GET', `/api/devices/${phone.mac}`)).json;
  t.like(seen, { status: 'unassigned', lastFetch: null, lastSeen: { ip: ATTACKER } });

  // An admin assigns it and presses Sync.
  t.is((await s.api('PATCH', `/api/devices/${phone.mac}`, { body: { lines: [{ extension: '1001' }] } })).status, 200);
  const sync = await s.api('POST', `/api/devices/${phone.mac}/sync`);
  t.is(sync.status, 409);
  t.is(sync.json.error.code, 'not-notifiable');
  t.regex(sync.json.error.message, /never proved itself/);
  t.is((await s.api('POST', '/api/extensions/1001/sync')).json.devices.length, 0, 'left out of the extension-wide sync');
  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Line-Secret-2' } })).status, 200);

  // The real phone claims its file from its own address, then a change is pushed there.
  const steps = await walk(s.url, phone, PHONE);
  t.is(steps.find((x) => x.file === phone.credentialFile)!.statuses[0], 200, 'claimed');
  t.like((await s.api('GET', `/api/devices/${phone.mac}`)).json, { status: 'synced', lastFetch: { ip: PHONE, credential: 'claim' } });
  t.is((await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Line-Secret-3' } })).status, 200);
  await until('the NOTIFY reached the phone', () => real.notifies().length >= 2);
  const [first, second] = real.notifies();
  t.notRegex(first!, /^authorization:/im);
  t.regex(second!, /^Authorization: Digest username="1001", realm="pbx.example.com", .*qop=auth/im);
  const done = await until('acknowledged', async () => {
    const d = (await s.api('GET', `/api/devices/${phone.mac}`)).json;
    return d.notify?.state === 'acknowledged' ? d : null;
  });
  t.is(done.notify.target, `udp:${PHONE}:5060`);

  // Nothing ever reached the attacker's address, and asking again does not move the target.
  t.is((await requestFrom(ATTACKER, `${s.url}/prov/${phone.mac}.cfg`, { headers: { 'user-agent': phone.ua } })).status, 401);
  t.like((await s.api('GET', `/api/devices/${phone.mac}`)).json, { lastFetch: { ip: PHONE } });
  t.deepEqual(attacker.received, []);
});
