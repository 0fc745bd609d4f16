// The server's password wins on every vendor: what a handset or its web page
// uploads never carries a password back to the phone, a Yealink is told
// that its own changes do not outrank the server's and its -local.cfg is
// not taken, and the other vendors upload nothing. And a template reload that
// is broken for one vendor leaves every other vendor's phones as they were.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { readDeskFile, type DeskVendor } from '../helpers/desk-readers.ts';
import { DATA_PHONES, dataPhone } from '../helpers/data-phones.ts';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { ROOT } from '../helpers/process.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';

const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const MACS: Record<DeskVendor, string> = { grandstream: 'c074ad1a2b3c', snom: '000413922d24', fanvil: '0c383e07e16c', cisco: '00562b043615' };
const ENV = { PROV_ALLOW_BASIC_OVER_HTTP: 'true' };

async function must(p: Promise<{ status: number; text: string; json: any }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
  return r.json;
}

async function fleet(s: TestServer) {
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Server-Secret-1' }) }), 201);
  const add = (mac: string, vendor: string, model?: string) =>
    must(s.api('POST', '/api/devices', { body: { mac, vendor, ...(model ? { model } : {}), lines: [{ extension: '1001' }] } }), 201);
  await add(YEA, 'yealink', 'T46S');
  await add(POLY, 'polycom', 'VVX_450');
  for (const [vendor, mac] of Object.entries(MACS)) await add(mac, vendor, DATA_PHONES[vendor as DeskVendor].model);
}

const put = async (s: TestServer, mac: string, file: string, body: string) =>
  fetch(`${s.url}/prov/${file}`, { method: 'PUT', body, headers: { authorization: basic(await phoneCredentials(s, mac)) } });
const get = async (s: TestServer, mac: string, file: string) =>
  fetch(`${s.url}/prov/${file}`, { headers: { authorization: basic(await phoneCredentials(s, mac)) } });

test('a Yealink -local.cfg is not taken, and its file says the handset never outranks the server', async (t) => {
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  await fleet(s);
  const local = '#!version:1.0.0.1\naccount.1.password = typed-on-handset\n';
  t.is((await put(s, YEA, `${YEA}-local.cfg`, local)).status, 404);
  t.is((await get(s, YEA, `${YEA}-local.cfg`)).status, 404);
  const cfg = readYealinkCfg(await (await get(s, YEA, `${YEA}.cfg`)).text()).values;
  t.is(cfg.get('static.auto_provision.custom.protect'), '0');
  t.is(cfg.get('account.1.password'), 'Server-Secret-1');
  t.deepEqual((await s.api('GET', '/api/audit?action=device.override-uploaded')).json, []);
});

test('a Polycom override carrying a password is kept without it; one that is not XML is not kept at all', async (t) => {
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  await fleet(s);
  const file = `${POLY}-web.cfg`;
  const body = '<?xml version="1.0"?><PHONE_CONFIG><ALL reg.1.auth.password="typed-on-web" reg.1.auth.userId="1001" up.backlight.idleIntensity="2"/></PHONE_CONFIG>';
  t.is((await put(s, POLY, file, body)).status, 204);
  const back = await (await get(s, POLY, file)).text();
  t.false(back.includes('typed-on-web'));
  t.notRegex(back, /reg\.1\.auth\./);
  t.regex(back, /up\.backlight\.idleIntensity="2"/);
  const [event] = (await s.api('GET', '/api/audit?action=device.override-uploaded')).json;
  t.like(event.details, { file, size: Buffer.byteLength(body) }, 'the audit says what the phone sent');

  t.is((await put(s, POLY, file, 'reg.1.auth.password=typed-on-web')).status, 422);
  t.is(await (await get(s, POLY, file)).text(), back, 'the earlier, scrubbed upload stays');
  t.true((await (await get(s, POLY, `${POLY}-sip.cfg`)).text()).includes('reg.1.auth.password="Server-Secret-1"'));
});

test('Grandstream, Snom, Fanvil and Cisco phones upload nothing: a PUT of any name is refused', async (t) => {
  const s = await startServer({ env: ENV });
  t.teardown(s.close);
  await fleet(s);
  for (const [vendor, mac] of Object.entries(MACS)) {
    for (const file of [...DATA_PHONES[vendor as DeskVendor].chain(mac), `${mac}-local.cfg`, `${mac}-phone.cfg`]) {
      t.is((await put(s, mac, file, '<x a="typed"/>')).status, 404, `${vendor} ${file}`);
    }
  }
});

test('a reload with a broken template for one vendor changes nothing for any vendor; fixed, it reaches that vendor alone', async (t) => {
  const dir = tempDir('prov-templates-');
  const s = await startServer({ env: { ...ENV, PROV_TEMPLATES_DIR: dir } });
  t.teardown(s.close);
  await fleet(s);
  const everyone = [YEA, POLY, ...Object.values(MACS)];
  const state = async () =>
    Object.fromEntries(
      await Promise.all(everyone.map(async (mac) => [mac, { version: (await s.api('GET', `/api/devices/${mac}`)).json.configVersion, files: (await s.api('GET', `/api/devices/${mac}/files`)).json }])),
    );
  const before = await state();

  const builtin = fs.readFileSync(path.join(ROOT, 'templates/grandstream/device.xml.hbs'), 'utf8');
  const write = (vendor: string, file: string, text: string) => {
    fs.mkdirSync(path.join(dir, vendor), { recursive: true });
    fs.writeFileSync(path.join(dir, vendor, file), text);
  };
  // Another vendor's edit waits in the same reload.
  write('snom', 'device.xml.hbs', fs.readFileSync(path.join(ROOT, 'templates/snom/device.xml.hbs'), 'utf8').replace('<settings>', '<!-- edited snom -->\n<settings>'));
  for (const [broken, code] of [
    [builtin.replace('{{/each}}', ''), 'template-invalid'],
    [builtin.replace('{{text password}}', '{{text passwd}}'), 'render-failed'],
    [builtin.replace('{{text password}}', '{{password}}'), 'render-failed'],
  ] as const) {
    write('grandstream', 'device.xml.hbs', broken);
    const r = await s.api('POST', '/api/templates/reload');
    t.is(r.status, 422, code);
    t.is(r.json.error.code, code);
    t.deepEqual(await state(), before, `${code}: no device of any vendor changed`);
    const served = await get(s, MACS.snom, `${MACS.snom}.xml`);
    t.false((await served.text()).includes('edited snom'), 'the phones are served what they had');
  }

  write('grandstream', 'device.xml.hbs', builtin.replace('<gs_provision', '<!-- edited grandstream -->\n<gs_provision'));
  const fixed = await s.api('POST', '/api/templates/reload');
  t.is(fixed.status, 200, fixed.text);
  t.like(fixed.json, { changedDevices: 2 });
  const after = await state();
  for (const mac of [YEA, POLY, MACS.fanvil, MACS.cisco]) t.deepEqual(after[mac], before[mac], `${mac} untouched`);
  for (const mac of [MACS.grandstream, MACS.snom]) t.is(after[mac].version, before[mac].version + 1, `${mac} re-rendered`);
  const gs = dataPhone(s.url, 'grandstream', MACS.grandstream);
  await s.api('POST', `/api/devices/${MACS.grandstream}/claim`);
  const text = (await gs.walk()).get(`cfg${MACS.grandstream}.xml`)!.text;
  t.true(text.includes('edited grandstream'));
  t.is(readDeskFile('grandstream', text, (f) => f.line(1).password), 'Server-Secret-1');
});
