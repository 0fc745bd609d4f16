// The time-zone math under the site clock: the rules server/render/time-zone.ts
// derives from Node's tz data for the zones that break naive code (summer
// across the new year, summer at midnight, Ireland's "negative" summer time,
// half and three-quarter hour offsets, half an hour of summer time), the
// forms site-context.ts hands templates, and the test readers that check
// them (clock-reader.ts) pinned against known strings.
import test from 'ava';
import { builtInDefaultSite } from '../../server/domain/site.ts';
import { siteContext } from '../../server/render/site-context.ts';
import { RULES_YEAR, isKnownTimeZone, zoneRules } from '../../server/render/time-zone.ts';
import { intlOffset, offsetAt, readPosixTz, ruleDay } from '../helpers/clock-reader.ts';
import { catalog } from './fixtures.ts';

const SUN = 0;
const rule = (month: number, week: number, hour: number, minute = 0, weekday = SUN) => ({ month, week, weekday, hour, minute });
const rulesOf = (zone: string) => {
  const r = zoneRules(zone);
  return { standard: r.standardOffsetMinutes, saving: r.dst?.savingMinutes ?? null, start: r.dst && { ...r.dst.start, day: undefined }, end: r.dst && { ...r.dst.end, day: undefined }, posix: r.posix };
};
const strip = (r: ReturnType<typeof rule>) => ({ ...r, day: undefined });

test('Australia/Sydney: +10, summer from the first Sunday of October 02:00 to the first Sunday of April 03:00', (t) => {
  t.deepEqual(rulesOf('Australia/Sydney'), { standard: 600, saving: 60, start: strip(rule(10, 1, 2)), end: strip(rule(4, 1, 3)), posix: '<+10>-10<+11>,M10.1.0/2,M4.1.0/3' });
});

test('America/Santiago: -4, summer changes at local midnight (the tz rule says 24:00 on Saturday, UTC 04:00/03:00)', (t) => {
  t.deepEqual(rulesOf('America/Santiago'), { standard: -240, saving: 60, start: strip(rule(9, 1, 0)), end: strip(rule(4, 1, 0)), posix: '<-04>4<-03>,M9.1.0/0,M4.1.0/0' });
});

test('Europe/Dublin: the tz source calls winter the "negative" summer time; phones get GMT with one hour of summer', (t) => {
  t.deepEqual(rulesOf('Europe/Dublin'), { standard: 0, saving: 60, start: strip(rule(3, 5, 1)), end: strip(rule(10, 5, 2)), posix: 'UTC0<+01>,M3.5.0/1,M10.5.0/2' });
});

test('Asia/Kolkata: +5:30 and no summer time', (t) => {
  t.deepEqual(rulesOf('Asia/Kolkata'), { standard: 330, saving: null, start: null, end: null, posix: '<+0530>-5:30' });
});

test('Pacific/Chatham: +12:45, summer from the last Sunday of September 02:45 to the first Sunday of April 03:45', (t) => {
  t.deepEqual(rulesOf('Pacific/Chatham'), { standard: 765, saving: 60, start: strip(rule(9, 5, 2, 45)), end: strip(rule(4, 1, 3, 45)), posix: '<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45' });
});

test('America/St_Johns: -3:30, summer from the second Sunday of March to the first Sunday of November, 02:00', (t) => {
  t.deepEqual(rulesOf('America/St_Johns'), { standard: -210, saving: 60, start: strip(rule(3, 2, 2)), end: strip(rule(11, 1, 2)), posix: '<-0330>3:30<-0230>,M3.2.0/2,M11.1.0/2' });
});

test('Australia/Lord_Howe: half an hour of summer time, the summer offset written out', (t) => {
  t.deepEqual(rulesOf('Australia/Lord_Howe'), { standard: 630, saving: 30, start: strip(rule(10, 1, 2)), end: strip(rule(4, 1, 2)), posix: '<+1030>-10:30<+11>-11,M10.1.0/2,M4.1.0/2' });
});

test('UTC and America/Regina: no summer time, UTC named UTC', (t) => {
  t.deepEqual(rulesOf('UTC'), { standard: 0, saving: null, start: null, end: null, posix: 'UTC0' });
  t.deepEqual(rulesOf('America/Regina'), { standard: -360, saving: null, start: null, end: null, posix: '<-06>6' });
});

test('each derived rule falls on the day it names, and its POSIX string gives the tz offset all year', (t) => {
  for (const zone of ['Australia/Sydney', 'America/Santiago', 'Europe/Dublin', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns', 'Australia/Lord_Howe', 'Europe/Berlin', 'America/New_York', 'UTC']) {
    const r = zoneRules(zone);
    if (r.dst) for (const edge of [r.dst.start, r.dst.end]) t.is(ruleDay(RULES_YEAR, edge), edge.day, `${zone} ${edge.month}`);
    const clock = readPosixTz(r.posix);
    for (let at = Date.UTC(RULES_YEAR, 0, 1); at < Date.UTC(RULES_YEAR + 1, 0, 1); at += 3 * 3_600_000 + 7 * 60_000) {
      if (offsetAt(clock, at) !== intlOffset(zone, at)) return t.fail(`${zone} at ${new Date(at).toISOString()}`);
    }
  }
  t.pass();
});

test('isKnownTimeZone takes IANA names and UTC, and refuses the rest', (t) => {
  for (const z of ['Europe/Berlin', 'UTC', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) t.true(isKnownTimeZone(z), z);
  for (const z of ['Mars/Olympus', '', 'Europe/Berlin ', '../etc/passwd', 'Europe/Berlin\n']) t.false(isKnownTimeZone(z), z);
});

const cat = catalog();
const ctx = (timeZone: string) => siteContext(cat.profiles.get('yealink')!, { ...builtInDefaultSite(timeZone, '2024-01-01T00:00:00.000Z'), language: 'de' });

test('site context: offsets in every form, Kolkata and St Johns', (t) => {
  t.deepEqual(ctx('Asia/Kolkata').zone.standard, { minutes: 330, seconds: 19800, quarterHours: 22, hours: '+5:30', hhmm: '+05:30' });
  t.deepEqual(ctx('America/St_Johns').zone.standard, { minutes: -210, seconds: -12600, quarterHours: -14, hours: '-3:30', hhmm: '-03:30' });
  t.is(ctx('Asia/Kolkata').zone.dst, null);
  t.is(ctx('UTC').zone.standard.hours, '+0');
});

test('site context: a last-week rule starts its "on or after" search seven days before the month ends, not at day 22', (t) => {
  const dst = ctx('Europe/Berlin').zone.dst!;
  t.like(dst.start, { month: 3, week: 5, last: true, weekday: SUN, weekdaySun1: 1, weekdayMon1: 7, firstDay: 25, day: 28, time: '02:00', hms: '02:00:00' });
  t.like(dst.end, { month: 10, last: true, firstDay: 25, day: 31, hms: '03:00:00' });
  t.deepEqual(dst.start.padded, { month: '03', week: '05', day: '28', weekdayMon1: '07' });
  t.deepEqual(dst.saving, { minutes: 60, seconds: 3600, hms: '01:00:00' });
  t.like(ctx('America/New_York').zone.dst!.start, { week: 2, last: false, firstDay: 8, day: 14 });
});

test('site context: POSIX in letters for parsers without <+01> names, read back to the same clock', (t) => {
  t.is(ctx('Europe/Berlin').zone.posixLetters, 'STD-1DST-2,M3.5.0/02:00:00,M10.5.0/03:00:00');
  t.is(ctx('Asia/Kolkata').zone.posixLetters, 'STD-5:30');
  t.is(ctx('Pacific/Chatham').zone.posixLetters, 'STD-12:45DST-13:45,M9.5.0/02:45:00,M4.1.0/03:45:00');
  for (const zone of ['Europe/Berlin', 'Pacific/Chatham', 'Australia/Lord_Howe', 'America/St_Johns']) {
    t.deepEqual(readPosixTz(ctx(zone).zone.posixLetters), readPosixTz(zoneRules(zone).posix), zone);
  }
});

test('site context: the language in the vendor\'s words, null when the site or the vendor has none', (t) => {
  t.is(ctx('UTC').languageName, 'German');
  const none = siteContext(cat.profiles.get('polycom')!, { ...builtInDefaultSite('UTC', '2024-01-01T00:00:00.000Z'), language: 'tr' });
  t.is(none.languageName, null);
  t.is(siteContext(cat.profiles.get('yealink')!, builtInDefaultSite('UTC', '2024-01-01T00:00:00.000Z')).languageName, null);
});

test('POSIX reader: the standard\'s defaults (02:00 changes, one hour of summer) and its strictness', (t) => {
  t.deepEqual(readPosixTz('CET-1CEST,M3.5.0,M10.5.0/3'), { standardMinutes: 60, dst: { savingMinutes: 60, start: rule(3, 5, 2), end: rule(10, 5, 3) } });
  t.deepEqual(readPosixTz('EST5EDT4,M3.2.0/02:00:00,M11.1.0/02:00:00'), { standardMinutes: -300, dst: { savingMinutes: 60, start: rule(3, 2, 2), end: rule(11, 1, 2) } });
  t.deepEqual(readPosixTz('<+0530>-5:30'), { standardMinutes: 330, dst: null });
  t.is(readPosixTz('UTC0').standardMinutes, 0);
  t.throws(() => readPosixTz('CET'), { message: /no standard offset/ });
  t.throws(() => readPosixTz('CET-1CEST'), { message: /two Mm\.w\.d rules/ });
  t.throws(() => readPosixTz('CET-1CEST,J60,J300'), { message: /Mm\.w\.d/ });
  t.throws(() => readPosixTz('CET-1CEST,M3.5.0/2:00:30,M10.5.0'), { message: /rule time/ });
  t.throws(() => readPosixTz('CET-1CEST,M13.5.0,M10.5.0'), { message: /month/ });
  t.throws(() => readPosixTz('C1'), { message: /zone name/ });
});

test('clock evaluation: northern and southern summers, changes read on the clock before them', (t) => {
  const berlin = readPosixTz('CET-1CEST,M3.5.0,M10.5.0/3');
  t.is(offsetAt(berlin, Date.UTC(2027, 2, 28, 0, 59)), 60, 'last Sunday of March, 01:59 local');
  t.is(offsetAt(berlin, Date.UTC(2027, 2, 28, 1, 0)), 120, '02:00 local standard time');
  t.is(offsetAt(berlin, Date.UTC(2027, 9, 31, 0, 59)), 120, '02:59 summer time');
  t.is(offsetAt(berlin, Date.UTC(2027, 9, 31, 1, 0)), 60, '03:00 summer time');
  const sydney = readPosixTz('<+10>-10<+11>,M10.1.0/2,M4.1.0/3');
  t.is(offsetAt(sydney, Date.UTC(2027, 0, 15)), 660, 'January is summer');
  t.is(offsetAt(sydney, Date.UTC(2027, 6, 15)), 600, 'July is winter');
  t.is(ruleDay(2027, rule(2, 5, 0)), 28, 'last Sunday of February 2027');
  t.is(ruleDay(2028, rule(2, 5, 0, 0, 2)), 29, 'last Tuesday of February 2028, a leap year');
});
