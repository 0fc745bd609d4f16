// The rotation rule on its own: who is waited for, and the property that
// makes it safe to derive at read time on any instance — time passing,
// phones fetching and links downloading only ever end a rotation, never
// bring one back.
import test from 'ava';
import fc from 'fast-check';
import type { LinkRecord } from '../../server/domain/link.ts';
import type { Mac } from '../../server/domain/mac.ts';
import { rotationView } from '../../server/domain/rotation.ts';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MACS = ['805ec0000001', '805ec0000002', '805ec0000003'] as Mac[];

const link = (id: string, lastSecretVersion: number | null, expiresAt: number, revoked = false): LinkRecord => ({
  id, tokenHash: id, extension: '1001', app: 'zoiper', createdAt: iso(T0), expiresAt: iso(expiresAt), maxUses: 5, uses: 1,
  revokedAt: revoked ? iso(T0) : null, lastUsedAt: null, lastSecretVersion, createdBy: 'admin',
});

const ext = (devices: Record<string, number>, until: number) => ({
  number: '1001',
  secretVersion: 3,
  rotation: { previousSecretSealed: 'x', previousVersion: 2, startedAt: iso(T0), acceptedUntil: iso(until), devices },
});

test('devices that had the old secret and links that handed it out are waited for, nobody else', (t) => {
  const view = rotationView(
    ext({ [MACS[0]!]: 5, [MACS[1]!]: 7 }, T0 + 3_600_000),
    [
      { mac: MACS[0]!, lines: [{ line: 1, extension: '1001' }], fetchedVersion: 4 },
      { mac: MACS[1]!, lines: [{ line: 1, extension: '1001' }], fetchedVersion: 7 },
      { mac: MACS[2]!, lines: [{ line: 1, extension: '1001' }], fetchedVersion: 1 },
    ],
    [link('old', 2, T0 + 60_000), link('new', 3, T0 + 60_000), link('unused', null, T0 + 60_000), link('revoked', 2, T0 + 60_000, true)],
    new Date(T0),
  );
  t.deepEqual(view, { previousAcceptedUntil: iso(T0 + 3_600_000), waitingFor: { macs: [MACS[0]!], links: ['old'], contacts: [] } });
});

test('a device moved off the extension is no longer waited for', (t) => {
  const view = rotationView(ext({ [MACS[0]!]: 5 }, T0 + 60_000), [{ mac: MACS[0]!, lines: [{ line: 1, extension: '2002' }], fetchedVersion: 1 }], [], new Date(T0));
  t.is(view.previousAcceptedUntil, null);
});

test('once ended, a rotation stays ended as fetches, downloads and time move on', (t) => {
  const state = fc.record({
    needed: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 3, maxLength: 3 }),
    fetched: fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 3, maxLength: 3 }),
    links: fc.array(fc.record({ v: fc.option(fc.integer({ min: 1, max: 4 })), life: fc.integer({ min: 1, max: 200 }) }), { maxLength: 3 }),
    grace: fc.integer({ min: 1, max: 300 }),
    steps: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 50 }), dev: fc.nat(2), up: fc.nat(3), lnk: fc.nat(2), lv: fc.nat(2) }), { maxLength: 12 }),
  });
  fc.assert(
    fc.property(state, ({ needed, fetched, links, grace, steps }) => {
      const devices = MACS.map((mac, i) => ({ mac, lines: [{ line: 1, extension: '1001' }], fetchedVersion: fetched[i]! }));
      let ls = links.map((l, i) => link(`l${i}`, l.v, T0 + l.life * 60_000));
      const e = ext(Object.fromEntries(MACS.map((m, i) => [m, needed[i]!])), T0 + grace * 60_000);
      let now = T0;
      let ended = false;
      for (const step of [{ dt: 0, dev: 0, up: 0, lnk: 0, lv: 0 }, ...steps]) {
        now += step.dt * 60_000;
        devices[step.dev]!.fetchedVersion += step.up;
        ls = ls.map((l, i) => (i === step.lnk && l.lastSecretVersion !== null ? { ...l, lastSecretVersion: l.lastSecretVersion + step.lv } : l));
        const view = rotationView(e, devices, ls, new Date(now));
        if (ended && view.previousAcceptedUntil !== null) return false;
        if (view.previousAcceptedUntil === null) ended = true;
      }
      return true;
    }),
  );
  t.pass();
});
