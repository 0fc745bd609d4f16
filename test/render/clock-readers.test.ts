// The vendor clock readers themselves (test/helpers/vendor-clock-reader.ts):
// the site tests are only as good as them, so each refuses what its vendor
// would not read the way the server means it, instead of guessing.
import test from 'ava';
import { readVendorClock } from '../helpers/vendor-clock-reader.ts';

const Y = '#!version:1.0.0.1\n';
const yealinkBerlin = `${Y}local_time.time_zone = +1\nlocal_time.summer_time = 1\nlocal_time.dst_time_type = 1\nlocal_time.start_time = 3/5/7/2\nlocal_time.end_time = 10/5/7/3\nlocal_time.offset_time = 60\n`;

test('yealink: by-week rules with Monday 1 .. Sunday 7; summer time must be written, by date is refused', (t) => {
  const clock = readVendorClock('yealink', yealinkBerlin);
  t.deepEqual(clock.dst?.start, { month: 3, week: 5, weekday: 0, hour: 2, minute: 0 });
  t.throws(() => readVendorClock('yealink', `${Y}local_time.time_zone = +1\n`), { message: /summer_time is missing/ });
  t.throws(() => readVendorClock('yealink', yealinkBerlin.replace('dst_time_type = 1', 'dst_time_type = 0')), { message: /dst_time_type/ });
  t.throws(() => readVendorClock('yealink', yealinkBerlin.replace('summer_time = 1', 'summer_time = 2')), { message: /summer_time/ });
  t.throws(() => readVendorClock('yealink', yealinkBerlin.replace('3/5/7/2', '3/5/0/2')), { message: /Month\/Week/ });
  t.throws(() => readVendorClock('yealink', `${yealinkBerlin}lang.gui = German\n`), { message: /lang\.wui/ });
});

const polycom = (attrs: string) => `<?xml version="1.0" encoding="UTF-8"?><polycomConfig><tcpIpApp tcpIpApp.sntp.gmtOffset.overrideDHCP="1" ${attrs}/></polycomConfig>`;
const P = 'tcpIpApp.sntp.daylightSavings';

test('polycom: Sunday 1, an "on or after" date of 1/8/15/22 or lastInMonth; off must be written', (t) => {
  const ny = `tcpIpApp.sntp.gmtOffset="-18000" ${P}.enable="1" ${P}.fixedDayEnable="0" ${P}.start.month="3" ${P}.start.dayOfWeek.lastInMonth="0" ${P}.start.date="8" ${P}.start.dayOfWeek="1" ${P}.start.time="2" ${P}.stop.month="11" ${P}.stop.dayOfWeek.lastInMonth="0" ${P}.stop.date="1" ${P}.stop.dayOfWeek="1" ${P}.stop.time="2"`;
  const clock = readVendorClock('polycom', polycom(ny));
  t.deepEqual(clock, { standardMinutes: -300, dst: { savingMinutes: 60, start: { month: 3, week: 2, weekday: 0, hour: 2, minute: 0 }, end: { month: 11, week: 1, weekday: 0, hour: 2, minute: 0 } }, ntpServer: null, language: null });
  t.throws(() => readVendorClock('polycom', polycom(ny.replace('start.date="8"', 'start.date="9"'))), { message: /does not start a week/ });
  t.throws(() => readVendorClock('polycom', polycom('tcpIpApp.sntp.gmtOffset="0"')), { message: /enable is missing/ });
  t.throws(() => readVendorClock('polycom', polycom(`tcpIpApp.sntp.gmtOffset="0" ${P}.enable="1" ${P}.fixedDayEnable="1"`)), { message: /fixedDayEnable/ });
});

test('grandstream: a self-defined zone only, at most 64 characters', (t) => {
  const gs = (zone: string, custom: string) =>
    `<gs_provision version="1"><config version="2"><item name="dateTime.timezone">${zone}</item><item name="dateTime.timezone.custom">${custom}</item><item name="dateTime.override.dhcp.allowOption2">No</item></config></gs_provision>`;
  t.is(readVendorClock('grandstream', gs('customize', 'STD-5:30')).standardMinutes, 330);
  t.throws(() => readVendorClock('grandstream', gs('auto', 'STD-5:30')), { message: /dateTime\.timezone/ });
  t.throws(() => readVendorClock('grandstream', gs('customize', `STD-1DST-2,M3.5.0/02:00:00,M10.5.0/03:00:00${'0'.repeat(30)}`)), { message: /64/ });
});

test('snom: no table zone, seconds, and mm.ww.dd with Monday 01 .. Sunday 07', (t) => {
  const snom = (tz: string, dst: string) => `<settings><phone-settings><timezone perm="R">${tz}</timezone><utc_offset perm="R">3600</utc_offset><dst perm="R">${dst}</dst></phone-settings></settings>`;
  t.deepEqual(readVendorClock('snom', snom('', '3600 03.05.07 02:00:00 10.05.07 03:00:00')).dst?.end, { month: 10, week: 5, weekday: 0, hour: 3, minute: 0 });
  t.is(readVendorClock('snom', snom('', '')).dst, null);
  t.throws(() => readVendorClock('snom', snom('GER+1', '')), { message: /timezone/ });
  t.throws(() => readVendorClock('snom', snom('', '3600 03.05.00 02:00:00 10.05.07 03:00:00')), { message: /dst is not/ });
});

test('fanvil: both spellings of the switches must agree; Sunday is 0', (t) => {
  const fanvil = (date: string) => `<sysConf><phone><date><TimeZone>-20</TimeZone>${date}</date></phone></sysConf>`;
  t.is(readVendorClock('fanvil', fanvil('<Enable_DST>0</Enable_DST><EnableDST>0</EnableDST>')).standardMinutes, -300);
  t.throws(() => readVendorClock('fanvil', fanvil('<Enable_DST>0</Enable_DST><EnableDST>2</EnableDST>')), { message: /EnableDST/ });
  t.throws(() => readVendorClock('fanvil', fanvil('')), { message: /Enable_DST is missing/ });
});

test('cisco: GMT±hh:mm, day -1 for the last weekday, Monday 1 .. Sunday 7, save as hh:mm:00', (t) => {
  const cisco = (enable: string, rule: string) => `<flat-profile><Time_Zone ua="na">GMT-05:00</Time_Zone><Daylight_Saving_Time_Enable ua="na">${enable}</Daylight_Saving_Time_Enable><Daylight_Saving_Time_Rule ua="na">${rule}</Daylight_Saving_Time_Rule></flat-profile>`;
  const clock = readVendorClock('cisco', cisco('Yes', 'start=3/8/7/02:00:00;end=11/-1/7/02:00:00;save=00:30:00'));
  t.deepEqual(clock.dst, { savingMinutes: 30, start: { month: 3, week: 2, weekday: 0, hour: 2, minute: 0 }, end: { month: 11, week: 5, weekday: 0, hour: 2, minute: 0 } });
  t.throws(() => readVendorClock('cisco', cisco('Yes', 'start=3/8/7;end=11/1/7;save=1')), { message: /Daylight_Saving_Time_Rule is not/ });
  t.throws(() => readVendorClock('cisco', cisco('yes', '')), { message: /Daylight_Saving_Time_Enable/ });
  t.is(readVendorClock('cisco', cisco('No', '')).dst, null);
});
