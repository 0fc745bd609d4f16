// Property: for any interleaving of an office's phones (all behind one
// address, each walking its chain: bare first, then Digest with what its
// claim delivered) and an attacker on another address (harvesting known
// MACs with the right User-Agent, guessing passwords, scanning unknown MACs),
// with the server's default scan settings and time passing, no honest phone
// is ever refused, every phone ends provisioned, a request without valid
// credentials gets a secret at most once per claim, and the attacker never
// gets one.
import test from 'ava';
import fc from 'fast-check';
import { finalStatus, requestFrom, walk, yealinkT46S, polycomVvx450, type OfficePhone } from '../helpers/office.ts';
import { extensionBody, startServer } from '../helpers/server.ts';

const OFFICE = '127.0.0.2';
const ATTACKER = '127.0.0.9';
const SECRET = 'Office-Secret-2';
const PHONES = 6;

type Command =
  | { k: 'phone'; i: number }
  | { k: 'harvest'; i: number }
  | { k: 'guess'; i: number }
  | { k: 'scan' }
  | { k: 'advance'; seconds: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('phone' as const), i: fc.nat(PHONES - 1) }), weight: 3 },
  fc.record({ k: fc.constant('harvest' as const), i: fc.nat(PHONES - 1) }),
  fc.record({ k: fc.constant('guess' as const), i: fc.nat(PHONES - 1) }),
  fc.constant({ k: 'scan' as const }),
  fc.record({ k: fc.constant('advance' as const), seconds: fc.integer({ min: 0, max: 90 }) }),
);

test('whatever an attacker does meanwhile, no phone of the office is refused and no secret leaves without proof more than once per claim', async (t) => {
  let now = Date.parse('2030-11-01T08:00:00.000Z');
  // Claims only from the office's address, as an admin of a cloud server sets it.
  const s = await startServer({ env: { PROV_NOTIFY: 'off', PROV_CLAIM_NETWORKS: `${OFFICE}/32` }, clock: () => new Date(now) });
  t.teardown(s.close);
  const made = await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) });
  if (made.status !== 201) throw new Error(made.text);
  let serial = 0;
  let runs = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 24 }), async (commands) => {
      const phones: OfficePhone[] = [];
      for (let i = 0; i < PHONES; i++) {
        const n = (serial++).toString(16).padStart(6, '0');
        const p = i % 2 === 0 ? yealinkT46S(`805ec2${n}`) : polycomVvx450(`0004f2${n}`, i % 4 === 1);
        const vendor = i % 2 === 0 ? 'yealink' : 'polycom';
        const r = await s.api('POST', '/api/devices', { body: { mac: p.mac, vendor, lines: [{ extension: '1001' }] } });
        if (r.status !== 201) throw new Error(r.text);
        phones.push(p);
      }
      const served = async (p: OfficePhone) => {
        for (const step of await walk(s.url, p, OFFICE)) {
          if (step.statuses.includes(429)) throw new Error(`${p.mac} ${step.file} refused: ${step.statuses.join(' → ')}`);
          if (finalStatus(step) !== 200) throw new Error(`${p.mac} ${step.file} ended ${step.statuses.join(' → ')}`);
        }
      };
      for (const c of commands) {
        const p = 'i' in c ? phones[c.i]! : null;
        switch (c.k) {
          case 'phone':
            await served(p!);
            break;
          case 'harvest': {
            const r = await requestFrom(ATTACKER, `${s.url}/prov/${p!.credentialFile}`, { headers: { 'user-agent': p!.ua } });
            if (r.text.includes(SECRET)) throw new Error(`the attacker harvested ${p!.mac}`);
            break;
          }
          case 'guess': {
            const authorization = `Basic ${Buffer.from(`${p!.mac}:guess-${serial}`).toString('base64')}`;
            const r = await requestFrom(ATTACKER, `${s.url}/prov/${p!.credentialFile}`, { headers: { authorization } });
            if (r.status === 200) throw new Error('a guessed password was served');
            break;
          }
          case 'scan':
            await requestFrom(ATTACKER, `${s.url}/prov/805ec3${(serial++).toString(16).padStart(6, '0')}.cfg`);
            break;
          case 'advance':
            now += c.seconds * 1000;
            break;
        }
      }
      // In the end every phone walks once more and is served.
      for (const p of phones) await served(p);
      const claims = (await s.api('GET', '/api/audit?action=device.claimed&limit=1000')).json as { target: string }[];
      for (const p of phones) {
        const n = claims.filter((c) => c.target === `device:${p.mac}`).length;
        if (n !== 1) throw new Error(`${p.mac} was delivered through its claim ${n} times`);
      }
      runs++;
    }),
    { numRuns: 25 },
  );
  t.is(runs, 25);
});
