// From an IANA time zone to what a phone's clock settings need: the standard
// offset and, where the zone keeps summer time, when it starts and ends as a
// month / week-of-month / weekday / local-time rule. Phones do not read IANA
// names; each vendor wants these numbers in its own keys (the templates and
// vendor profiles say which). Derived from the tz database in Node's ICU for
// one fixed year, so the same site always renders the same bytes; a zone
// whose rule changes later is rendered with that year's rule.

/** The year the rules are taken from. */
export const RULES_YEAR = 2027;

export interface DstRule {
  /** 1 to 12. */
  month: number;
  /** 1 to 4, or 5 for the last such weekday of the month. */
  week: number;
  /** 0 Sunday to 6 Saturday. */
  weekday: number;
  /** The day of the month it falls on in RULES_YEAR. */
  day: number;
  /** The local wall-clock time it happens at, read on the clock before the change. */
  hour: number;
  minute: number;
}

export interface ZoneRules {
  timeZone: string;
  /** East of UTC is positive (Berlin 60, New York -300). */
  standardOffsetMinutes: number;
  dst: { savingMinutes: number; start: DstRule; end: DstRule } | null;
  /** The same as a POSIX TZ string (e.g. CET-1CEST,M3.5.0/2,M10.5.0/3), for phones that take one. */
  posix: string;
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** Whether Node knows the zone (an IANA name such as Europe/Berlin, or UTC). */
export function isKnownTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+/-]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const cache = new Map<string, ZoneRules>();

export function zoneRules(timeZone: string): ZoneRules {
  let rules = cache.get(timeZone);
  if (!rules) cache.set(timeZone, (rules = derive(timeZone)));
  return rules;
}

function offsetReader(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  return (ms: number): number => {
    const name = format.formatToParts(ms).find((p) => p.type === 'timeZoneName')!.value;
    const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  };
}

function derive(timeZone: string): ZoneRules {
  const offset = offsetReader(timeZone);
  const from = Date.UTC(RULES_YEAR, 0, 1);
  const to = Date.UTC(RULES_YEAR + 1, 0, 1);
  // The instants the offset changes at: found a day apart, then to the minute.
  const changes: { at: number; before: number; after: number }[] = [];
  let prev = offset(from);
  for (let day = from + DAY_MS; day <= to; day += DAY_MS) {
    const now = offset(day);
    if (now === prev) continue;
    let lo = day - DAY_MS;
    let hi = day;
    while (hi - lo > MINUTE_MS) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
      if (offset(mid) === prev) lo = mid;
      else hi = mid;
    }
    changes.push({ at: hi, before: prev, after: now });
    prev = now;
  }
  const offsets = [offset(from), ...changes.map((c) => c.after)];
  const standard = Math.min(...offsets);
  const start = changes.find((c) => c.after > c.before);
  const end = changes.find((c) => c.after < c.before);
  // A zone that moved for good during the year (no return) keeps no summer time: its offset at the year's end stands.
  if (!start || !end) {
    const fixed = offset(to - DAY_MS);
    return { timeZone, standardOffsetMinutes: fixed, dst: null, posix: posixOffsetName(fixed) + posixOffset(fixed) };
  }
  const saving = start.after - start.before;
  const dst = { savingMinutes: saving, start: ruleAt(start.at, start.before), end: ruleAt(end.at, end.before) };
  const posix =
    posixOffsetName(standard) + posixOffset(standard) + posixOffsetName(standard + saving) +
    (saving === 60 ? '' : posixOffset(standard + saving)) + `,${posixRule(dst.start)},${posixRule(dst.end)}`;
  return { timeZone, standardOffsetMinutes: standard, dst, posix };
}

/** The local rule for a change at `utcMs`, on a clock `offsetBefore` minutes east of UTC. */
function ruleAt(utcMs: number, offsetBefore: number): DstRule {
  const local = new Date(utcMs + offsetBefore * MINUTE_MS);
  const day = local.getUTCDate();
  const month = local.getUTCMonth() + 1;
  const daysInMonth = new Date(Date.UTC(local.getUTCFullYear(), month, 0)).getUTCDate();
  return {
    month,
    week: day + 7 > daysInMonth ? 5 : Math.ceil(day / 7),
    weekday: local.getUTCDay(),
    day,
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
  };
}

/** POSIX counts west of UTC as positive: UTC+1 is -1, UTC-5:30 is 5:30. */
export function posixOffset(minutes: number): string {
  const west = -minutes;
  const abs = Math.abs(west);
  const hm = abs % 60 ? `${Math.floor(abs / 60)}:${String(abs % 60).padStart(2, '0')}` : `${abs / 60}`;
  return (west < 0 ? '-' : '') + hm;
}

/** A name for an offset that every POSIX reader takes: <+0100>, or UTC for zero. */
function posixOffsetName(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  return `<${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${abs % 60 ? String(abs % 60).padStart(2, '0') : ''}>`;
}

function posixRule(r: DstRule): string {
  return `M${r.month}.${r.week}.${r.weekday}/${r.minute ? `${r.hour}:${String(r.minute).padStart(2, '0')}` : r.hour}`;
}
