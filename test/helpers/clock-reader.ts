// A phone's clock settings read back as one shape, and worked out the way
// the phone would: a standard offset and, with summer time, the rule it
// starts and ends by. Includes a POSIX TZ reader (IEEE Std 1003.1, "TZ"),
// strict where the standard allows a form no vendor here is given (Jn and n
// dates, seconds), so a string that reads differently on another parser
// fails a test instead of passing by luck; and the local offset at an
// instant, so a rendered rule can be checked against the tz database.

/** When summer time starts or ends: the `week`th (5: last) `weekday` (0 Sunday) of `month`, at hour:minute on the clock before the change. */
export interface ClockRule {
  month: number;
  week: number;
  weekday: number;
  hour: number;
  minute: number;
}

export interface Clock {
  /** East of UTC is positive. */
  standardMinutes: number;
  dst: { savingMinutes: number; start: ClockRule; end: ClockRule } | null;
}

const MINUTE_MS = 60_000;

function fail(what: string, text: string): never {
  throw new Error(`${what}: ${JSON.stringify(text)}`);
}

/** A POSIX [+|-]hh[:mm[:ss]] as minutes; seconds other than 00 are refused (no phone here is given them). */
function posixTime(text: string, what: string): number {
  const m = /^([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(text);
  if (!m || Number(m[3] ?? 0) > 59 || Number(m[4] ?? 0) !== 0) fail(`not a POSIX ${what}`, text);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

function posixRule(text: string): ClockRule {
  const m = /^M(\d{1,2})\.([1-5])\.([0-6])(?:\/(.+))?$/.exec(text);
  if (!m) fail('not an Mm.w.d rule', text);
  const month = Number(m[1]);
  if (month < 1 || month > 12) fail('no such month', text);
  // The standard's default change time is 02:00:00.
  const at = m[4] === undefined ? 120 : posixTime(m[4], 'rule time');
  if (at < 0 || at >= 24 * 60) fail('a change time outside the day', text);
  return { month, week: Number(m[2]), weekday: Number(m[3]), hour: Math.floor(at / 60), minute: at % 60 };
}

/** Reads a POSIX TZ string such as CET-1CEST,M3.5.0,M10.5.0/3 or <+0530>-5:30. */
export function readPosixTz(tz: string): Clock {
  let rest = tz;
  const name = () => {
    const m = /^(?:<[A-Za-z0-9+-]{3,}>|[A-Za-z]{3,})/.exec(rest);
    if (!m) fail('expected a zone name in', tz);
    rest = rest.slice(m[0].length);
  };
  const offset = () => {
    const m = /^[+-]?\d{1,2}(?::\d{2}){0,2}/.exec(rest);
    if (!m) return null;
    rest = rest.slice(m[0].length);
    // POSIX counts west of UTC as positive (0 - x: no -0 for UTC).
    return 0 - posixTime(m[0], 'offset');
  };
  name();
  const standardMinutes = offset();
  if (standardMinutes === null) fail('no standard offset in', tz);
  if (rest === '') return { standardMinutes, dst: null };
  name();
  const summer = offset() ?? standardMinutes + 60;
  const rules = /^,([^,]+),([^,]+)$/.exec(rest);
  if (!rules) fail('a summer time without exactly two Mm.w.d rules', tz);
  return { standardMinutes, dst: { savingMinutes: summer - standardMinutes, start: posixRule(rules[1]!), end: posixRule(rules[2]!) } };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day of the month a rule falls on in `year`. */
export function ruleDay(year: number, r: ClockRule): number {
  if (r.week === 5) {
    const last = daysIn(year, r.month);
    const lastWeekday = new Date(Date.UTC(year, r.month - 1, last)).getUTCDay();
    return last - ((lastWeekday - r.weekday + 7) % 7);
  }
  const firstWeekday = new Date(Date.UTC(year, r.month - 1, 1)).getUTCDay();
  return 1 + ((r.weekday - firstWeekday + 7) % 7) + (r.week - 1) * 7;
}

/** The instant a rule fires in `year` on a clock `offsetMinutes` east of UTC. */
function ruleInstant(year: number, r: ClockRule, offsetMinutes: number): number {
  return Date.UTC(year, r.month - 1, ruleDay(year, r), r.hour, r.minute) - offsetMinutes * MINUTE_MS;
}

/** The local offset the clock shows at `utcMs`: summer time from its start (on the standard clock) to its end (on the summer clock). */
export function offsetAt(clock: Clock, utcMs: number): number {
  if (!clock.dst) return clock.standardMinutes;
  const year = new Date(utcMs).getUTCFullYear();
  const { start, end, savingMinutes } = clock.dst;
  const from = ruleInstant(year, start, clock.standardMinutes);
  const to = ruleInstant(year, end, clock.standardMinutes + savingMinutes);
  // Southern hemisphere: summer spans the new year, so it is summer outside [to, from).
  const summer = from < to ? utcMs >= from && utcMs < to : utcMs >= from || utcMs < to;
  return clock.standardMinutes + (summer ? savingMinutes : 0);
}

// A formatter per zone: making one costs far more than using it.
const formats = new Map<string, Intl.DateTimeFormat>();

/** What the tz database in Node's ICU says the offset is at `utcMs`, in minutes east of UTC. */
export function intlOffset(timeZone: string, utcMs: number): number {
  let format = formats.get(timeZone);
  if (!format) formats.set(timeZone, (format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })));
  const name = format
    .formatToParts(utcMs)
    .find((p) => p.type === 'timeZoneName')!.value;
  const m = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(name);
  if (!m) throw new Error(`unexpected offset name ${name}`);
  return m[1] ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** A signed hours[:mm] offset (+1, -5, +5:30, GMT+05:30 without its GMT) as minutes east of UTC. */
export function readHoursOffset(text: string): number {
  const m = /^([+-])(\d{1,2})(?::(\d{2}))?$/.exec(text);
  if (!m || Number(m[3] ?? 0) > 59) fail('not a signed hours offset', text);
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

/** A strict decimal integer, so "" or "2x" cannot read as a number by accident. */
export function int(text: string | null | undefined, what: string): number {
  if (text === null || text === undefined || !/^-?\d+$/.test(text)) fail(`${what} is not an integer`, String(text));
  return Number(text);
}
