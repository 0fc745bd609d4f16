// Each desk-phone vendor's clock, NTP server and language read back from the
// device file that carries them, with the real parsers (the Yealink line
// reader; libxml2, and for Polycom fast-xml-parser as well) and from the keys
// docs/vendors.md names, into one shape: what the phone would set its clock
// by. A key the vendor needs that is missing, set twice, or not in the form
// the vendor documents is an error, never a default: "summer time off" must
// be written, not assumed.
import { readDeskFile, type DeskFile } from './desk-readers.ts';
import { int, readHoursOffset, readPosixTz, type Clock, type ClockRule } from './clock-reader.ts';
import { XmlDocument, type XmlAttribute } from 'libxml2-wasm';
import { polycomParams } from './xml.ts';
import { readYealinkCfg } from './yealink-cfg-reader.ts';

export const CLOCK_VENDORS = ['yealink', 'polycom', 'grandstream', 'snom', 'fanvil', 'cisco'] as const;
export type ClockVendor = (typeof CLOCK_VENDORS)[number];

export interface VendorClock extends Clock {
  ntpServer: string | null;
  language: string | null;
}

/** The file of the device that carries its clock, by vendor; `mac` in lower case. */
export function clockFile(vendor: ClockVendor, mac: string): string {
  return {
    yealink: `${mac}.cfg`,
    polycom: `${mac}-sip.cfg`,
    grandstream: `cfg${mac}.xml`,
    snom: `${mac}.xml`,
    fanvil: `${mac}.cfg`,
    cisco: `${mac}.xml`,
  }[vendor];
}

function expect(value: string | null | undefined, want: string, what: string): void {
  if (value !== want) throw new Error(`${what} is ${JSON.stringify(value)}, not ${JSON.stringify(want)}`);
}

function need(value: string | null | undefined, what: string): string {
  if (value === null || value === undefined) throw new Error(`${what} is missing`);
  return value;
}

/** Weekdays counted 1 Monday .. 7 Sunday, as 0 Sunday .. 6 Saturday. */
function fromMon1(text: string, what: string): number {
  const n = int(text, what);
  if (n < 1 || n > 7) throw new Error(`${what} ${n} is not 1..7`);
  return n % 7;
}

/** An "on or after" day (1, 8, 15, 22) as the week it starts. */
function weekFrom(day: number, what: string): number {
  if (![1, 8, 15, 22].includes(day)) throw new Error(`${what} ${day} does not start a week of the month`);
  return (day - 1) / 7 + 1;
}

function yealink(body: string): VendorClock {
  const values = readYealinkCfg(body).values;
  const get = (key: string) => values.get(key) ?? null;
  const rule = (key: string): ClockRule => {
    const m = /^(\d{1,2})\/([1-5])\/([1-7])\/(\d{1,2})$/.exec(need(get(key), key));
    if (!m) throw new Error(`${key} is not Month/Week/Day of Week/Hour: ${get(key)}`);
    return { month: int(m[1], key), week: int(m[2], key), weekday: fromMon1(m[3]!, key), hour: int(m[4], key), minute: 0 };
  };
  const summer = need(get('local_time.summer_time'), 'local_time.summer_time');
  let dst: Clock['dst'] = null;
  if (summer === '1') {
    expect(get('local_time.dst_time_type'), '1', 'local_time.dst_time_type (by week)');
    dst = { savingMinutes: int(get('local_time.offset_time'), 'offset_time'), start: rule('local_time.start_time'), end: rule('local_time.end_time') };
  } else {
    expect(summer, '0', 'local_time.summer_time');
  }
  const gui = get('lang.gui');
  expect(get('lang.wui'), gui as string, 'lang.wui (the web page in the handset language)');
  return { standardMinutes: readHoursOffset(need(get('local_time.time_zone'), 'local_time.time_zone')), dst, ntpServer: get('local_time.ntp_server1'), language: gui };
}

function polycom(body: string): VendorClock {
  const params = polycomParams(body);
  // Every parameter read twice, in one pass each: fast-xml-parser and libxml2 must agree on all of them.
  const doc = XmlDocument.fromString(body);
  try {
    const libxml = new Map<string, string>();
    for (const node of doc.find('//@*') as XmlAttribute[]) {
      if (libxml.has(node.name)) throw new Error(`${node.name} is set twice`);
      libxml.set(node.name, node.value);
    }
    // fast-xml-parser also keeps the whitespace between elements, as #text.
    const named = [...params].filter(([name]) => name !== '#text');
    for (const [name, value] of named) expect(libxml.get(name), value, `${name} (libxml2 against fast-xml-parser)`);
    if (libxml.size !== named.length) throw new Error('libxml2 and fast-xml-parser read different parameters');
  } finally {
    doc.dispose();
  }
  return polycomClock((name) => params.get(name) ?? null);
}

function polycomClock(get: (name: string) => string | null): VendorClock {
  const p = 'tcpIpApp.sntp.daylightSavings';
  const rule = (edge: 'start' | 'stop'): ClockRule => {
    const k = `${p}.${edge}`;
    const last = need(get(`${k}.dayOfWeek.lastInMonth`), `${k}.dayOfWeek.lastInMonth`);
    const week = last === '1' ? 5 : weekFrom(int(get(`${k}.date`), `${k}.date`), `${k}.date`);
    if (last !== '1') expect(last, '0', `${k}.dayOfWeek.lastInMonth`);
    const dow = int(get(`${k}.dayOfWeek`), `${k}.dayOfWeek`);
    if (dow < 1 || dow > 7) throw new Error(`${k}.dayOfWeek ${dow} is not 1..7`);
    return { month: int(get(`${k}.month`), `${k}.month`), week, weekday: dow - 1, hour: int(get(`${k}.time`), `${k}.time`), minute: 0 };
  };
  expect(get('tcpIpApp.sntp.gmtOffset.overrideDHCP'), '1', 'tcpIpApp.sntp.gmtOffset.overrideDHCP');
  const enable = need(get(`${p}.enable`), `${p}.enable`);
  let dst: Clock['dst'] = null;
  if (enable === '1') {
    expect(get(`${p}.fixedDayEnable`), '0', `${p}.fixedDayEnable`);
    // Polycom has no key for the amount: its summer time is always one hour.
    dst = { savingMinutes: 60, start: rule('start'), end: rule('stop') };
  } else {
    expect(enable, '0', `${p}.enable`);
  }
  const ntp = get('tcpIpApp.sntp.address');
  if (ntp !== null) expect(get('tcpIpApp.sntp.address.overrideDHCP'), '1', 'tcpIpApp.sntp.address.overrideDHCP');
  const seconds = int(get('tcpIpApp.sntp.gmtOffset'), 'tcpIpApp.sntp.gmtOffset');
  if (seconds % 60) throw new Error(`tcpIpApp.sntp.gmtOffset ${seconds} is not whole minutes`);
  return { standardMinutes: seconds / 60, dst, ntpServer: ntp, language: get('lcl.ml.lang') };
}

function grandstream(f: DeskFile): VendorClock {
  const item = (name: string) => f.read(`/gs_provision/config/item[@name='${name}']`);
  expect(item('dateTime.timezone'), 'customize', 'dateTime.timezone');
  expect(item('dateTime.override.dhcp.allowOption2'), 'No', 'dateTime.override.dhcp.allowOption2');
  const ntp = item('dateTime.ntp.server.1');
  if (ntp !== null) expect(item('dateTime.override.dhcp.allowOption42'), 'No', 'dateTime.override.dhcp.allowOption42');
  const custom = need(item('dateTime.timezone.custom'), 'dateTime.timezone.custom');
  if (custom.length > 64) throw new Error(`dateTime.timezone.custom is ${custom.length} characters, over Grandstream's 64`);
  return { ...readPosixTz(custom), ntpServer: ntp, language: item('language.gui') };
}

function snom(f: DeskFile): VendorClock {
  const s = (name: string) => f.read(`/settings/phone-settings/${name}`);
  expect(s('timezone'), '', 'timezone (no table zone over the written offset)');
  const seconds = int(s('utc_offset'), 'utc_offset');
  const dstText = need(s('dst'), 'dst');
  let dst: Clock['dst'] = null;
  if (dstText !== '') {
    const part = '(\\d{2})\\.(0[1-5])\\.(0[1-7]) (\\d{2}):(\\d{2}):00';
    const m = new RegExp(`^(\\d+) ${part} ${part}$`).exec(dstText);
    if (!m) throw new Error(`dst is not "offset mm.ww.dd hh:mm:ss mm.ww.dd hh:mm:ss": ${dstText}`);
    const rule = (i: number): ClockRule => ({
      month: int(m[i], 'dst month'),
      week: int(m[i + 1], 'dst week'),
      weekday: fromMon1(m[i + 2]!, 'dst day'),
      hour: int(m[i + 3], 'dst hour'),
      minute: int(m[i + 4], 'dst minute'),
    });
    const saving = int(m[1], 'dst offset');
    if (saving % 60) throw new Error(`dst offset ${saving} is not whole minutes`);
    dst = { savingMinutes: saving / 60, start: rule(2), end: rule(7) };
  }
  const language = s('language');
  expect(s('web_language'), language as string, 'web_language');
  if (seconds % 60) throw new Error(`utc_offset ${seconds} is not whole minutes`);
  return { standardMinutes: seconds / 60, dst, ntpServer: s('ntp_server'), language };
}

function fanvil(f: DeskFile): VendorClock {
  const d = (name: string) => f.read(`/sysConf/phone/date/${name}`);
  // Sources spell two keys two ways and the template writes both: they must agree.
  const both = (a: string, b: string) => {
    const value = d(a);
    expect(d(b), value as string, `${b} (against ${a})`);
    return value;
  };
  const enable = need(both('Enable_DST', 'EnableDST'), 'Enable_DST');
  let dst: Clock['dst'] = null;
  if (enable === '2') {
    expect(both('DST_Fixed_Type', 'DSTFixedType'), '2', 'DST_Fixed_Type (by week)');
    const rule = (edge: 'Start' | 'End'): ClockRule => {
      const wday = int(d(`DST${edge}Wday`), `DST${edge}Wday`);
      if (wday < 0 || wday > 6) throw new Error(`DST${edge}Wday ${wday} is not 0..6`);
      return { month: int(d(`DST${edge}Mon`), 'month'), week: int(d(`DST${edge}Week`), 'week'), weekday: wday, hour: int(d(`DST${edge}Hour`), 'hour'), minute: 0 };
    };
    dst = { savingMinutes: int(d('DSTMinOffset'), 'DSTMinOffset'), start: rule('Start'), end: rule('End') };
  } else {
    expect(enable, '0', 'Enable_DST');
  }
  const ntp = d('SNTPServer');
  if (ntp !== null) expect(d('EnableSNTP'), '1', 'EnableSNTP');
  return { standardMinutes: int(d('TimeZone'), 'TimeZone') * 15, dst, ntpServer: ntp, language: f.read('/sysConf/phone/display/DefaultLanguage') };
}

function cisco(f: DeskFile): VendorClock {
  const p = (name: string) => f.read(`/flat-profile/${name}`);
  const zone = /^GMT([+-]\d{2}:\d{2})$/.exec(need(p('Time_Zone'), 'Time_Zone'));
  if (!zone) throw new Error(`Time_Zone is not GMT±hh:mm: ${p('Time_Zone')}`);
  const enable = need(p('Daylight_Saving_Time_Enable'), 'Daylight_Saving_Time_Enable');
  let dst: Clock['dst'] = null;
  if (enable === 'Yes') {
    const text = need(p('Daylight_Saving_Time_Rule'), 'Daylight_Saving_Time_Rule');
    const edge = '(\\d{1,2})/(-1|\\d{1,2})/([1-7])/(\\d{2}):(\\d{2}):00';
    const m = new RegExp(`^start=${edge};end=${edge};save=(\\d{2}):(\\d{2}):00$`).exec(text);
    if (!m) throw new Error(`Daylight_Saving_Time_Rule is not start=m/d/w/hh:mm:ss;end=…;save=hh:mm:ss: ${text}`);
    const rule = (i: number): ClockRule => ({
      month: int(m[i], 'month'),
      week: m[i + 1] === '-1' ? 5 : weekFrom(int(m[i + 1], 'day'), 'day'),
      weekday: fromMon1(m[i + 2]!, 'weekday'),
      hour: int(m[i + 3], 'hour'),
      minute: int(m[i + 4], 'minute'),
    });
    dst = { savingMinutes: int(m[11], 'save hours') * 60 + int(m[12], 'save minutes'), start: rule(1), end: rule(6) };
  } else {
    expect(enable, 'No', 'Daylight_Saving_Time_Enable');
  }
  return { standardMinutes: readHoursOffset(zone[1]!), dst, ntpServer: p('Primary_NTP_Server'), language: p('Language_Selection') };
}

/** The clock, NTP server and language a vendor's device file sets. */
export function readVendorClock(vendor: ClockVendor, body: string): VendorClock {
  switch (vendor) {
    case 'yealink':
      return yealink(body);
    case 'polycom':
      return polycom(body);
    case 'grandstream':
      return readDeskFile('grandstream', body, grandstream);
    case 'snom':
      return readDeskFile('snom', body, snom);
    case 'fanvil':
      return readDeskFile('fanvil', body, fanvil);
    case 'cisco':
      return readDeskFile('cisco', body, cisco);
  }
}
