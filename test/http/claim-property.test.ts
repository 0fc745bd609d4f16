// Property: whatever mix of the real phone's, an attacker's and the admin's
// requests happens (bare fetches with every User-Agent, HEAD, bursts fired at
// once, wrong passwords, re-claims, rotations, time passing), a request
// without valid credentials receives the secret at most once per claim, and
// a request with the device's current credentials is never refused.
import test from 'ava';
import fc from 'fast-check';
import { fetchWithDigest } from '../helpers/digest-client.ts';
import { phoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer } from '../helpers/server.ts';

const SECRET = 'Handset-Secret-1';
const SECRET_LINE = `account.1.password = ${SECRET}`;
const colons = (mac: string) => mac.match(/../g)!.join(':');

type Command =
  | { k: 'bare'; ua: 'right' | 'no-mac' | 'other-mac' | 'curl'; method: 'GET' | 'HEAD' }
  | { k: 'burst'; n: number }
  | { k: 'wrong' }
  | { k: 'phone' }
  | { k: 'reclaim' }
  | { k: 'rotate'; immediate: boolean }
  | { k: 'advance'; minutes: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ k: fc.constant('bare' as const), ua: fc.constantFrom('right', 'no-mac', 'other-mac', 'curl'), method: fc.constantFrom('GET', 'HEAD') }),
  fc.record({ k: fc.constant('burst' as const), n: fc.integer({ min: 2, max: 4 }) }),
  fc.constant({ k: 'wrong' as const }),
  fc.constant({ k: 'phone' as const }),
  fc.constant({ k: 'reclaim' as const }),
  fc.record({ k: fc.constant('rotate' as const), immediate: fc.boolean() }),
  fc.record({ k: fc.constant('advance' as const), minutes: fc.integer({ min: 0, max: 12 }) }),
);

test('a request without valid credentials receives a secret at most once per claim', async (t) => {
  let now = Date.parse('2030-07-01T08:00:00.000Z');
  const s = await startServer({
    env: { PROV_CLAIM_MINUTES: '10', PROV_SCAN_THRESHOLD: '1000000', PROV_ALLOW_BASIC_OVER_HTTP: 'true' },
    clock: () => new Date(now),
  });
  t.teardown(s.close);
  const made = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) });
  if (made.status !== 201) throw new Error(made.text);
  let serial = 0;
  let checked = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (commands) => {
      const mac = `805ec1${(serial++).toString(16).padStart(6, '0')}`;
      const r = await s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', lines: [{ extension: '1001' }] } });
      if (r.status !== 201) throw new Error(r.text);
      const url = `${s.url}/prov/${mac}.cfg`;
      const agents = {
        right: `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`,
        'no-mac': 'Yealink SIP-T46S 66.86.0.15',
        'other-mac': 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:ff:ff:ff',
        curl: 'curl/7.88.1',
      };
      // Deliveries without credentials, per claim (0: the window the device was created with).
      const delivered = [0];
      const bare = async (ua: string, method = 'GET') => {
        const res = await fetch(url, { method, headers: { 'user-agent': ua } });
        const body = await res.text();
        if (res.status === 200 && body.includes(SECRET_LINE)) delivered[delivered.length - 1]!++;
      };
      for (const c of commands) {
        switch (c.k) {
          case 'bare':
            await bare(agents[c.ua], c.method);
            break;
          case 'burst':
            await Promise.all(Array.from({ length: c.n }, () => bare(agents.right)));
            break;
          case 'wrong': {
            const res = await fetch(url, {
              headers: { 'user-agent': agents.right, authorization: `Basic ${Buffer.from(`${mac}:not-it`).toString('base64')}` },
            });
            const body = await res.text();
            if (res.status === 200 && body.includes(SECRET_LINE)) delivered[delivered.length - 1]!++;
            break;
          }
          case 'phone': {
            const got = await fetchWithDigest(url, await phoneCredentials(s, mac), { headers: { 'user-agent': agents.right } });
            if (got.status !== 200 || !got.text.includes(SECRET_LINE)) throw new Error(`the current credentials were refused: ${got.status}`);
            break;
          }
          case 'reclaim':
            if ((await s.api('POST', `/api/devices/${mac}/claim`)).status !== 200) throw new Error('claim');
            delivered.push(0);
            break;
          case 'rotate':
            if ((await s.api('POST', `/api/devices/${mac}/credentials/rotate`, { body: { immediate: c.immediate } })).status !== 200) {
              throw new Error('rotate');
            }
            break;
          case 'advance':
            now += c.minutes * 60_000;
            break;
        }
      }
      checked++;
      if (delivered.some((n) => n > 1)) throw new Error(`delivered without credentials per claim: ${delivered.join(', ')}`);
    }),
    { numRuns: 40 },
  );
  t.is(checked, 40);
});
