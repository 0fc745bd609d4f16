// What a device's templates see of its site: the time zone as numbers each
// vendor's keys are written from, the NTP server, the language in the
// vendor's own words, and the polling interval in the vendor's unit. One
// context for every vendor: a template picks the forms its keys want, so a
// vendor's clock is template text and profile data, never code here.
import type { SiteRecord } from '../domain/site.ts';
import type { VendorProfile } from './profiles.ts';
import { RULES_YEAR, posixOffset, zoneRules, type DstRule, type ZoneRules } from './time-zone.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** An offset east of UTC in the forms vendors write it. */
function offsetForms(minutes: number) {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  return {
    minutes,
    seconds: minutes * 60,
    // Every offset the tz database uses today is a whole number of quarter hours.
    quarterHours: Math.round(minutes / 15),
    /** +1, -5, +5:30 */
    hours: `${sign}${h}${m ? `:${pad(m)}` : ''}`,
    /** +01:00 */
    hhmm: `${sign}${pad(h)}:${pad(m)}`,
  };
}

const daysIn = (month: number) => new Date(Date.UTC(RULES_YEAR, month, 0)).getUTCDate();

/** A summer time change in the forms vendors write it: weekdays counted from Sunday as 0 or as 1, from Monday as 1. */
function ruleForms(r: DstRule) {
  const weekdayMon1 = r.weekday === 0 ? 7 : r.weekday;
  return {
    ...r,
    last: r.week === 5,
    weekdaySun1: r.weekday + 1,
    weekdayMon1,
    /**
     * The day a vendor's "on or after" search starts at: 1, 8, 15, 22, or for
     * the last week the month's last seven days. That last one is RULES_YEAR's
     * (February's moves in leap years), so templates write `last` where the
     * vendor has a way to say it.
     */
    firstDay: r.week === 5 ? daysIn(r.month) - 6 : (r.week - 1) * 7 + 1,
    /** 02:00 */
    time: `${pad(r.hour)}:${pad(r.minute)}`,
    /** 02:00:00 */
    hms: `${pad(r.hour)}:${pad(r.minute)}:00`,
    /** Two digits each, for vendors that write 03.05.07. */
    padded: { month: pad(r.month), week: pad(r.week), day: pad(r.day), weekdayMon1: pad(weekdayMon1) },
  };
}

/**
 * The zone as a POSIX TZ string with plain letters for names (STD, DST), the
 * summer offset always written out and times as hh:mm:ss: the spelling vendor
 * guides show, for parsers that may not take the quoted <+01> names.
 */
function posixLetters(zone: ZoneRules): string {
  const std = `STD${posixOffset(zone.standardOffsetMinutes)}`;
  if (!zone.dst) return std;
  const rule = (r: DstRule) => `M${r.month}.${r.week}.${r.weekday}/${pad(r.hour)}:${pad(r.minute)}:00`;
  return `${std}DST${posixOffset(zone.standardOffsetMinutes + zone.dst.savingMinutes)},${rule(zone.dst.start)},${rule(zone.dst.end)}`;
}

export function siteContext(profile: VendorProfile, site: SiteRecord) {
  const zone = zoneRules(site.timeZone);
  const dst = zone.dst && {
    savingMinutes: zone.dst.savingMinutes,
    saving: { minutes: zone.dst.savingMinutes, seconds: zone.dst.savingMinutes * 60, hms: `${pad(Math.floor(zone.dst.savingMinutes / 60))}:${pad(zone.dst.savingMinutes % 60)}:00` },
    start: ruleForms(zone.dst.start),
    end: ruleForms(zone.dst.end),
  };
  return {
    name: site.name,
    timeZone: site.timeZone,
    ntpServer: site.ntpServer,
    /** Minutes between the phone's own polls when the site sets them (the files of vendors whose polling key lives in a shared file repeat it); null otherwise. */
    polling: site.polling,
    language: site.language,
    /** The vendor's name for the site's language; null when the site names none or the vendor has no name for it (the phone keeps its own). */
    languageName: site.language ? profile.languages?.[site.language as keyof typeof profile.languages] ?? null : null,
    zone: { standard: offsetForms(zone.standardOffsetMinutes), dst, posix: zone.posix, posixLetters: posixLetters(zone) },
  };
}

/** The profile's polling setting with the site's interval, in the vendor's unit; undefined when the site leaves it to the vendor. */
export function sitePolling(profile: VendorProfile, site: SiteRecord): Record<string, number> | undefined {
  if (!profile.polling || site.polling === null) return undefined;
  const per = { seconds: 1 / 60, minutes: 1, hours: 60 }[profile.polling.unit];
  return { [profile.polling.setting]: Math.max(1, Math.round(site.polling / per)) };
}
