// A site's clock, NTP server and language in every desk phone's files, read
// back with the real parsers and worked out the way each vendor documents
// its keys (test/helpers/vendor-clock-reader.ts, docs/vendors.md): the
// standard offset, the summer time rule, "no summer time" written out, the
// NTP server and the language in the vendor's own words when the site names
// them, and nothing of either when it does not.
import test from 'ava';
import { CLOCK_VENDORS, clockFile, readVendorClock, type ClockVendor } from '../helpers/vendor-clock-reader.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { readDeskFile } from '../helpers/desk-readers.ts';
import { parseXml, polycomParams } from '../helpers/xml.ts';
import { catalog } from './fixtures.ts';
import { SITE_CASES, clockFor, renderForSite, site } from './site-fixtures.ts';

const cat = catalog();

const sunday = 0;
const BERLIN = {
  standardMinutes: 60,
  dst: {
    savingMinutes: 60,
    start: { month: 3, week: 5, weekday: sunday, hour: 2, minute: 0 },
    end: { month: 10, week: 5, weekday: sunday, hour: 3, minute: 0 },
  },
};
const NEW_YORK = {
  standardMinutes: -300,
  dst: {
    savingMinutes: 60,
    start: { month: 3, week: 2, weekday: sunday, hour: 2, minute: 0 },
    end: { month: 11, week: 1, weekday: sunday, hour: 2, minute: 0 },
  },
};

test('every desk-phone profile is read here, and no softphone profile has languages', (t) => {
  t.deepEqual([...CLOCK_VENDORS].sort(), cat.profiles.deskPhoneVendors().sort());
  for (const app of cat.profiles.softphoneApps()) t.is(cat.profiles.get(app)!.languages, undefined, app);
});

for (const vendor of CLOCK_VENDORS) {
  test(`${vendor}: Europe/Berlin is +60 with summer time from the last Sunday of March 02:00 to the last Sunday of October 03:00`, (t) => {
    const { ntpServer, language, ...clock } = clockFor(cat, vendor, site({ timeZone: 'Europe/Berlin' }));
    t.deepEqual(clock, BERLIN);
    t.is(ntpServer, null);
    t.is(language, null);
  });

  test(`${vendor}: America/New_York is -300 with summer time from the second Sunday of March to the first Sunday of November, 02:00`, (t) => {
    const { ntpServer, language, ...clock } = clockFor(cat, vendor, site({ timeZone: 'America/New_York' }));
    t.deepEqual(clock, NEW_YORK);
  });

  for (const [timeZone, minutes] of [['UTC', 0], ['Asia/Kolkata', 330], ['America/Regina', -360]] as const) {
    test(`${vendor}: ${timeZone} is ${minutes} minutes with summer time switched off in the file`, (t) => {
      const clock = clockFor(cat, vendor, site({ timeZone }));
      t.is(clock.standardMinutes, minutes);
      t.is(clock.dst, null, 'the reader only gives null for an explicit "off"');
    });
  }

  test(`${vendor}: the site's NTP server and language, in the vendor's own name for it`, (t) => {
    const clock = clockFor(cat, vendor, site({ timeZone: 'Europe/Berlin', ntpServer: 'ntp.example.org', language: 'de' }));
    t.is(clock.ntpServer, 'ntp.example.org');
    const german = cat.profiles.get(vendor)!.languages?.de;
    t.truthy(german, 'every vendor here has a name for German');
    t.is(clock.language, german ?? null);
    t.deepEqual({ ...clock, ntpServer: null, language: null }, { ...BERLIN, ntpServer: null, language: null }, 'the clock is unchanged');
  });

  test(`${vendor}: without an NTP server or language on the site, no key for either is written`, (t) => {
    const keysFor = (s: ReturnType<typeof site>) => {
      const body = renderForSite(cat, vendor, s).get(clockFile(vendor, SITE_CASES[vendor].device.mac))!;
      const keys = vendor === 'yealink' ? [...readYealinkCfg(body).values.keys()] : vendor === 'polycom' ? [...polycomParams(body).keys()] : elementNames(vendor, body);
      return keys.filter((k) => /ntp|lang/i.test(k) && !/^tcpIpApp\.sntp\.(gmtOffset|daylightSavings)/.test(k));
    };
    t.deepEqual(keysFor(site({ timeZone: 'Europe/Berlin' })), []);
    t.true(keysFor(site({ timeZone: 'Europe/Berlin', ntpServer: 'ntp.example.org', language: 'de' })).length >= 2, 'the same search finds them when the site names both');
  });
}

const ATTRIBUTES = new Set(['perm', 'ua', 'idx', 'name', 'index', 'version', 'e']);

/** Every setting's name in an XML desk file as fast-xml-parser reads it: element names, and Grandstream's item names. */
function elementNames(vendor: ClockVendor, body: string): string[] {
  const names: string[] = [];
  const walk = (node: unknown, name: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, name));
    const attrs = node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : {};
    names.push(vendor === 'grandstream' && name === 'item' ? String(attrs.name) : name);
    // Attributes (perm, ua, idx, name) are strings beside the child elements; an element holding only text is a string too.
    for (const [child, value] of Object.entries(attrs)) if (child !== '#text' && (typeof value === 'object' || !ATTRIBUTES.has(child))) walk(value, child);
  };
  walk(parseXml(body), '');
  return names;
}

test('the exact spellings: Yealink German and by-week rules, Polycom German_Germany and seconds, Cisco day -1 for "last"', (t) => {
  const berlin = site({ timeZone: 'Europe/Berlin', ntpServer: 'ntp.example.org', language: 'de' });
  const y = readYealinkCfg(renderForSite(cat, 'yealink', berlin).get(clockFile('yealink', SITE_CASES.yealink.device.mac))!).values;
  t.is(y.get('local_time.time_zone'), '+1');
  t.is(y.get('local_time.start_time'), '3/5/7/2');
  t.is(y.get('local_time.end_time'), '10/5/7/3');
  t.is(y.get('lang.gui'), 'German');
  const p = polycomParams(renderForSite(cat, 'polycom', berlin).get(clockFile('polycom', SITE_CASES.polycom.device.mac))!);
  t.is(p.get('tcpIpApp.sntp.gmtOffset'), '3600');
  t.is(p.get('tcpIpApp.sntp.daylightSavings.start.dayOfWeek'), '1', 'Sunday is 1');
  t.is(p.get('tcpIpApp.sntp.daylightSavings.start.date'), undefined, 'no date where lastInMonth says it');
  t.is(p.get('lcl.ml.lang'), 'German_Germany');
  const c = renderForSite(cat, 'cisco', site({ timeZone: 'America/New_York' })).get(clockFile('cisco', SITE_CASES.cisco.device.mac))!;
  readDeskFile('cisco', c, (f) => {
    t.is(f.read('/flat-profile/Time_Zone'), 'GMT-05:00');
    t.is(f.read('/flat-profile/Daylight_Saving_Time_Rule'), 'start=3/8/7/02:00:00;end=11/1/7/02:00:00;save=01:00:00');
  });
});

test('half-hour zones in each vendor\'s own spelling: Asia/Kolkata and America/St_Johns', (t) => {
  const kolkata = site({ timeZone: 'Asia/Kolkata' });
  const mac = (v: ClockVendor) => SITE_CASES[v].device.mac;
  const body = (v: ClockVendor, s = kolkata) => renderForSite(cat, v, s).get(clockFile(v, mac(v)))!;
  t.is(readYealinkCfg(body('yealink')).values.get('local_time.time_zone'), '+5:30');
  t.is(polycomParams(body('polycom')).get('tcpIpApp.sntp.gmtOffset'), '19800');
  readDeskFile('grandstream', body('grandstream'), (f) => t.is(f.read("/gs_provision/config/item[@name='dateTime.timezone.custom']"), 'STD-5:30'));
  readDeskFile('snom', body('snom'), (f) => t.is(f.read('/settings/phone-settings/utc_offset'), '19800'));
  readDeskFile('fanvil', body('fanvil'), (f) => t.is(f.read('/sysConf/phone/date/TimeZone'), '22'));
  readDeskFile('cisco', body('cisco'), (f) => t.is(f.read('/flat-profile/Time_Zone'), 'GMT+05:30'));
  const stJohns = site({ timeZone: 'America/St_Johns' });
  for (const vendor of CLOCK_VENDORS) {
    const clock = readVendorClock(vendor, body(vendor, stJohns));
    t.is(clock.standardMinutes, -210, vendor);
    t.deepEqual(clock.dst?.start, { month: 3, week: 2, weekday: sunday, hour: 2, minute: 0 }, vendor);
  }
});

test('a language the vendor has no name for writes no language key; one it has is written', (t) => {
  const turkish = site({ timeZone: 'UTC', language: 'tr' });
  for (const vendor of CLOCK_VENDORS) {
    const name = cat.profiles.get(vendor)!.languages?.tr ?? null;
    t.is(clockFor(cat, vendor, turkish).language, name, vendor);
  }
  t.is(cat.profiles.get('polycom')!.languages?.tr, undefined, 'Polycom is one without Turkish');
  t.is(cat.profiles.get('yealink')!.languages?.tr, 'Turkish');
});

test('every language name in a profile is one of the site languages and reaches the file unchanged', (t) => {
  for (const vendor of CLOCK_VENDORS) {
    for (const [code, name] of Object.entries(cat.profiles.get(vendor)!.languages ?? {})) {
      t.is(clockFor(cat, vendor, site({ language: code })).language, name, `${vendor} ${code}`);
    }
  }
});

test('Australia/Sydney (summer spans the new year) and Pacific/Chatham (+12:45) read back as the tz database has them', (t) => {
  for (const vendor of CLOCK_VENDORS) {
    const sydney = clockFor(cat, vendor, site({ timeZone: 'Australia/Sydney' }));
    t.deepEqual(sydney.dst?.start, { month: 10, week: 1, weekday: sunday, hour: 2, minute: 0 }, vendor);
    t.deepEqual(sydney.dst?.end, { month: 4, week: 1, weekday: sunday, hour: 3, minute: 0 }, vendor);
    const chatham = clockFor(cat, vendor, site({ timeZone: 'Pacific/Chatham' }));
    t.is(chatham.standardMinutes, 765, vendor);
    // Only Grandstream's POSIX string, Snom's and Cisco's hh:mm:ss carry the minutes of a 02:45 change; the others take whole hours.
    const minuteKept = ['grandstream', 'snom', 'cisco'].includes(vendor);
    t.deepEqual(chatham.dst?.start, { month: 9, week: 5, weekday: sunday, hour: 2, minute: minuteKept ? 45 : 0 }, vendor);
  }
});
