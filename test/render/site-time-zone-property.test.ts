// Every IANA zone Node knows, rendered for every desk-phone vendor, read back
// from the vendor's own keys and worked out the way the vendor documents them
// (test/helpers/vendor-clock-reader.ts): the phone's local offset must be the
// tz database's at the instants checked, in RULES_YEAR. What a vendor's keys
// cannot say is named here and in docs/vendors.md, not skipped silently.
import test from 'ava';
import fc from 'fast-check';
import { RULES_YEAR, zoneRules } from '../../server/render/time-zone.ts';
import { intlOffset, offsetAt } from '../helpers/clock-reader.ts';
import { CLOCK_VENDORS, type ClockVendor } from '../helpers/vendor-clock-reader.ts';
import { catalog } from './fixtures.ts';
import { clockFor, site } from './site-fixtures.ts';

const cat = catalog();
const ZONES = Intl.supportedValuesOf('timeZone');
const DAY_MS = 86_400_000;

/** Polycom has no key for the amount of summer time: it always moves one hour. */
const cannotSay = (vendor: ClockVendor, zone: string) => vendor === 'polycom' && (zoneRules(zone).dst?.savingMinutes ?? 60) !== 60;

/** The 1st and the 15th of each month of RULES_YEAR at noon UTC. */
const SAMPLES = Array.from({ length: 24 }, (_, i) => Date.UTC(RULES_YEAR, Math.floor(i / 2), i % 2 ? 15 : 1, 12));

function mismatches(vendor: ClockVendor, zone: string, instants: number[]): string[] {
  const clock = clockFor(cat, vendor, site({ timeZone: zone }));
  return instants
    .filter((at) => offsetAt(clock, at) !== intlOffset(zone, at))
    .map((at) => `${vendor} ${zone} ${new Date(at).toISOString()}: phone ${offsetAt(clock, at)}, tz ${intlOffset(zone, at)}`);
}

test('the only zones a vendor cannot say are Polycom\'s with summer time other than one hour', (t) => {
  t.deepEqual(ZONES.filter((z) => cannotSay('polycom', z)).sort(), ['Antarctica/Troll', 'Australia/Lord_Howe']);
  t.true(ZONES.length > 300, `Node lists ${ZONES.length} zones`);
});

// Synchronous work this long would keep every result from reaching AVA until
// the whole file is done: each zone check yields first.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const vendor of CLOCK_VENDORS) {
  test(`${vendor}: every zone gives the tz database offset on the 1st and the 15th of each month`, async (t) => {
    const wrong: string[] = [];
    for (const zone of ZONES.filter((z) => !cannotSay(vendor, z))) {
      await turn();
      wrong.push(...mismatches(vendor, zone, SAMPLES));
    }
    t.deepEqual(wrong, []);
  });
}

// The instants the zone's offset changes at in RULES_YEAR, to the day: a phone
// that takes whole hours only (Yealink, Polycom, Fanvil) moves at 02:00 where
// the zone moves at 02:45, so only instants a day clear of a change are
// compared at random.
const changeDays = new Map<string, number[]>();
function nearChange(zone: string, at: number): boolean {
  let days = changeDays.get(zone);
  if (!days) {
    days = [];
    for (let d = Date.UTC(RULES_YEAR, 0, 1); d < Date.UTC(RULES_YEAR + 1, 0, 1); d += DAY_MS) {
      if (intlOffset(zone, d) !== intlOffset(zone, d + DAY_MS)) days.push(d + DAY_MS / 2);
    }
    changeDays.set(zone, days);
  }
  return days.some((d) => Math.abs(d - at) < 2 * DAY_MS);
}

test('any zone, any vendor, any instant of the year a day clear of a change: the phone shows the tz database offset', async (t) => {
  await turn();
  const instant = fc.integer({ min: Date.UTC(RULES_YEAR, 0, 1), max: Date.UTC(RULES_YEAR + 1, 0, 1) - 1 });
  fc.assert(
    fc.property(fc.constantFrom(...ZONES), fc.constantFrom(...CLOCK_VENDORS), fc.array(instant, { minLength: 1, maxLength: 8 }), (zone, vendor, instants) => {
      fc.pre(!cannotSay(vendor, zone));
      const wrong = mismatches(vendor, zone, instants.filter((at) => !nearChange(zone, at)));
      if (wrong.length) throw new Error(wrong.join('\n'));
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('the check can fail: a clock an hour off, or with summer time moved a month, disagrees with the tz database', (t) => {
  const berlin = clockFor(cat, 'yealink', site({ timeZone: 'Europe/Berlin' }));
  const off = { ...berlin, standardMinutes: berlin.standardMinutes + 60 };
  t.true(SAMPLES.some((at) => offsetAt(off, at) !== intlOffset('Europe/Berlin', at)));
  const late = { ...berlin, dst: { ...berlin.dst!, start: { ...berlin.dst!.start, month: 4 } } };
  t.true(SAMPLES.some((at) => offsetAt(late, at) !== intlOffset('Europe/Berlin', at)));
});
