// The golden fixture of the desk phones added as data (Grandstream, Snom,
// Fanvil, Cisco) read back by real parsers: libxml2 for every file, and
// fast-xml-parser as a second, independent reader. Every account, the
// provisioning credentials and the unused lines come back exactly as stored,
// in the keys docs/vendors.md names; the keys that keep a check-sync from
// rebooting and a handset from keeping its own password are there.
import test from 'ava';
import { LAYOUTS, readDeskFile, type DeskVendor } from '../helpers/desk-readers.ts';
import { parseXml } from '../helpers/xml.ts';
import { GOLDEN_CASES, GOLDEN_EXTENSIONS, GOLDEN_LINES, PROV_PASSWORD, catalog, renderCase, type GoldenCase } from './fixtures.ts';

const cat = catalog();
const DESK: DeskVendor[] = ['grandstream', 'snom', 'fanvil', 'cisco'];
const cases = GOLDEN_CASES.filter((c) => (DESK as string[]).includes(c.device.vendor));

function stored(line: number) {
  const number = GOLDEN_LINES.find((l) => l.line === line)!.extension;
  const { record: e, secret } = GOLDEN_EXTENSIONS.find((x) => x.record.number === number)!;
  return { e, secret, label: e.label ?? e.displayName };
}

/** The one file of the case that carries the secrets, by the profile. */
function credentialFile(c: GoldenCase): string {
  const spec = cat.profiles.get(c.device.vendor)!.files.find((f) => f.credentials)!;
  return spec.name.replace('{mac}', c.device.mac);
}

test('a golden case for every data-only vendor and model family', (t) => {
  t.deepEqual(
    cases.map((c) => c.name),
    ['grandstream-grp2614', 'grandstream-gxp2170', 'snom-d785', 'fanvil-x4u', 'cisco-cp-8841-3pcc', 'cisco-cp-7841-3pcc'],
  );
});

for (const c of cases) {
  const vendor = c.device.vendor as DeskVendor;
  const files = renderCase(c);
  const cred = credentialFile(c);
  const lines = cat.profiles.get(vendor)!.models[c.device.model!]!.lines;

  test(`${c.name}: every file is well-formed for libxml2 and fast-xml-parser, with the vendor's root`, (t) => {
    for (const [file, body] of files) {
      t.notThrows(() => parseXml(body), file);
      t.is(readDeskFile(vendor, body, (f) => f.root), LAYOUTS[vendor].root, file);
      t.true(body.startsWith('<?xml version="1.0" encoding="'), `${file}: XML declaration first`);
    }
  });

  test(`${c.name}: every account, the provisioning credentials and the unused lines read back exactly`, (t) => {
    readDeskFile(vendor, files.get(cred)!, (f) => {
      for (const n of [1, 2]) {
        const { e, secret, label } = stored(n);
        const got = f.line(n);
        t.is(got.password, secret, `line ${n} secret`);
        t.is(got.number, e.number, `line ${n} number`);
        t.is(got.authUsername, e.authUsername, `line ${n} auth user`);
        t.is(got.displayName, e.displayName, `line ${n} display name`);
        if (got.label !== null || vendor !== 'fanvil') t.is(got.label, label, `line ${n} label`);
        t.is(got.server, vendor === 'fanvil' ? e.server.host : `${e.server.host}:${e.server.port}`, `line ${n} registrar`);
        t.true(f.enabled(n), `line ${n} on`);
      }
      for (let n = 3; n <= lines; n++) t.false(f.enabled(n), `unused line ${n} is off`);
      t.is(f.enabled(lines + 1), null, 'nothing past the model\'s lines');
      t.deepEqual(f.login(), { user: c.device.mac, password: PROV_PASSWORD });
    });
  });

  test(`${c.name}: no other file carries a secret or the provisioning password`, (t) => {
    t.true(files.has(cred), `${cred} is rendered`);
    for (const [file, body] of files) {
      if (file === cred) continue;
      for (const { secret } of GOLDEN_EXTENSIONS) t.false(body.includes('Pa&amp;ss') || body.includes(secret), file);
      t.false(body.includes('Prov&amp;Pass'), `${file} holds no provisioning password`);
    }
  });
}

const one = (name: string) => {
  const c = cases.find((x) => x.name === name)!;
  return { c, body: renderCase(c).get(credentialFile(c))! };
};

test('grandstream: named keys (config version 2), the phone\'s MAC, user changes not protected, NOTIFY not challenged', (t) => {
  const { c, body } = one('grandstream-gxp2170');
  readDeskFile('grandstream', body, (f) => {
    t.is(f.read('/gs_provision/@version'), '1');
    t.is(f.read('/gs_provision/config/@version'), '2');
    t.is(f.read('/gs_provision/mac'), c.device.mac);
    t.is(f.read("/gs_provision/config/item[@name='provisioning.userProtect.enable']"), 'No');
    t.is(f.read("/gs_provision/config/item[@name='sip.notify.challenge']"), 'No');
    t.is(f.read("/gs_provision/config/item[@name='provisioning.config.serverPath']"), 'prov.example.com/prov');
    t.is(f.read("/gs_provision/config/item[@name='provisioning.config.protocol']"), 'HTTPS');
    t.is(f.read("/gs_provision/config/item[@name='account.1.sip.transport']"), '2', 'TLS is 2');
    t.is(f.read("/gs_provision/config/item[@name='account.1.sip.outboundProxy.1.address']"), 'proxy.example.net:5071');
  });
});

test('snom: every setting read-only (perm="R"), check-sync only syncs, the setting URL keeps {mac} for the phone', (t) => {
  const { body } = one('snom-d785');
  readDeskFile('snom', body, (f) => {
    t.is(f.count("/settings/phone-settings/*[not(@perm='R')]"), 0);
    t.is(f.count('/settings/phone-settings/user_pass'), 2);
    t.is(f.read('/settings/phone-settings/checksync_action'), 'sync');
    t.is(f.read('/settings/phone-settings/setting_server'), 'https://prov.example.com/prov/{mac}.xml');
    t.is(f.read('/settings/phone-settings/@e'), '2');
    t.is(f.read("/settings/phone-settings/user_outbound[@idx='1']"), 'proxy.example.net:5071;transport=tls');
  });
});

test('fanvil: no reboot on NOTIFY, applied by digest, provisioning server and credentials', (t) => {
  const { body } = one('fanvil-x4u');
  readDeskFile('fanvil', body, (f) => {
    t.is(f.read('/sysConf/sip/NotifyReboot'), '0');
    t.is(f.read('/sysConf/mt/AutoServerDigest'), '1');
    t.is(f.read('/sysConf/ap/FlashServerIP'), 'https://prov.example.com/prov');
    t.is(f.read('/sysConf/ap/FlashFileName'), '$mac.cfg');
    t.is(f.read('/sysConf/ap/FlashProtocol'), '5', 'HTTPS');
    t.is(f.read("/sysConf/sip/line[@index='1']/Transport"), '3', 'TLS is 3');
    t.is(f.read("/sysConf/sip/line[@index='1']/RegisterPort"), '5081');
  });
});

test('cisco: every parameter hidden from the user (ua="na"), NOTIFY resync not challenged, the bootstrap points at $MA.xml', (t) => {
  const { c, body } = one('cisco-cp-8841-3pcc');
  readDeskFile('cisco', body, (f) => {
    t.is(f.count("/flat-profile/*[not(@ua='na')]"), 0);
    t.is(f.read('/flat-profile/Resync_From_SIP'), 'Yes');
    for (const n of [1, 2]) t.is(f.read(`/flat-profile/Auth_Resync-Reboot_${n}_`), 'No');
    t.is(f.read('/flat-profile/Profile_Rule'), `[--uid ${c.device.mac} --pwd ${PROV_PASSWORD}]https://prov.example.com/prov/$MA.xml`);
    t.is(f.read('/flat-profile/Profile_Rule_B'), '', 'the bootstrap rule is cleared once the phone has its own');
  });
  const boot = renderCase(c).get('8841-3PCC.xml')!;
  readDeskFile('cisco', boot, (f) => {
    t.is(f.read('/flat-profile/Profile_Rule_B'), 'https://prov.example.com/prov/$MA.xml');
    t.is(f.read('/flat-profile/Profile_Rule'), null, 'the factory rule stays until the phone has credentials');
    t.is(f.count("/flat-profile/*[not(@ua='na')]"), 0);
  });
});
