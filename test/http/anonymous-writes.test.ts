// Anonymous requests cannot grow the store: a phone waiting in the inbox
// proves nothing, so what it says (address, firmware) is kept at most once
// per device every few minutes and never audited, and asking for many inbox
// MACs is scanning like asking for unknown ones.
import test from 'ava';
import { requestFrom } from '../helpers/office.ts';
import { startServer } from '../helpers/server.ts';

const ua = (mac: string, firmware: string) => `Yealink SIP-T46S ${firmware} ${mac.match(/../g)!.join(':')}`;

test('200 anonymous requests for an inbox MAC, each with a new firmware, write at most a handful of rows and no audit event', async (t) => {
  let now = Date.parse('2030-10-01T08:00:00.000Z');
  const s = await startServer({ env: { PROV_NOTIFY: 'off' }, clock: () => new Date(now) });
  t.teardown(s.close);
  const mac = '805ec0d00001';
  const statuses = new Set<number>();
  for (let i = 0; i < 200; i++) {
    statuses.add((await requestFrom('127.0.0.7', `${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': ua(mac, `66.86.0.${i}`) } })).status);
    now += 1_000;
  }
  t.deepEqual([...statuses], [404]);
  const d = (await s.api('GET', `/api/devices/${mac}`)).json;
  t.is(d.status, 'unassigned');
  // 200 requests over 200 seconds: the first recorded it, the next sighting waits five minutes.
  t.is(d.lastSeen.count, 1);
  t.is(d.firmware, '66.86.0.0');
  t.deepEqual((await s.api('GET', '/api/audit?limit=1000')).json.filter((e: { actor: string }) => e.actor.startsWith('phone:')), []);
  now += 5 * 60_000;
  await requestFrom('127.0.0.7', `${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': ua(mac, '66.86.0.250') } });
  const later = (await s.api('GET', `/api/devices/${mac}`)).json;
  t.is(later.lastSeen.count, 2, 'five minutes on, it is kept again');
  t.is(later.firmware, '66.86.0.250');
});

test('asking for many inbox MACs from one address is scanning: strikes, then 429', async (t) => {
  const s = await startServer({ env: { PROV_NOTIFY: 'off', PROV_SCAN_THRESHOLD: '10' } });
  t.teardown(s.close);
  const macs = Array.from({ length: 15 }, (_, i) => `805ec0d1${i.toString(16).padStart(4, '0')}`);
  // Each phone lands in the inbox from an address of its own.
  for (const [i, mac] of macs.entries()) {
    t.is((await requestFrom(`127.0.1.${i + 1}`, `${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': ua(mac, '66.86.0.15') } })).status, 404);
  }
  t.is((await s.api('GET', '/api/devices?status=unassigned')).json.length, 15);
  // One harvester walks them all; each MAC asked again and again counts once.
  const got: number[] = [];
  for (const mac of [macs[0]!, macs[0]!, macs[0]!, ...macs]) {
    got.push((await requestFrom('127.0.0.8', `${s.url}/prov/${mac}.cfg`, { headers: { 'user-agent': ua(mac, '66.86.0.15') } })).status);
  }
  // Four asks of the first MAC are one strike; the ninth other MAC makes ten, and is still answered.
  t.deepEqual(got.slice(0, 13), Array(13).fill(404), `one MAC asked four times is one strike: ${got.join(' ')}`);
  t.deepEqual(got.slice(13), Array(got.length - 13).fill(429), 'then refused');
  // The phones themselves, each from its own address, are not.
  t.is((await requestFrom('127.0.1.1', `${s.url}/prov/${macs[0]}.cfg`, { headers: { 'user-agent': ua(macs[0]!, '66.86.0.15') } })).status, 404);
});
