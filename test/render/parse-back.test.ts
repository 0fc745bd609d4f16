// The golden fixture read back by real parsers: every Yealink file through
// the line reader that follows VENDORS.md, every Polycom file through
// fast-xml-parser and xmllint (libxml2-utils). What comes back must be what
// the store holds, and the keys must be the ones VENDORS.md names.
import test from 'ava';
import { readYealinkCfg, type YealinkFile } from '../helpers/yealink-cfg-reader.ts';
import { polycomParams, rootOf, xmllint, xmllintAttribute } from '../helpers/xml.ts';
import { GOLDEN_CASES, GOLDEN_EXTENSIONS, GOLDEN_LINES, catalog, device, lookup, renderCase, PROV_PASSWORD, TEST_SITE } from './fixtures.ts';

const cat = catalog();
const yealink = cat.profiles.get('yealink')!;
const byName = (name: string) => GOLDEN_CASES.find((c) => c.name === name)!;
const extensionOf = (line: number) => {
  const number = GOLDEN_LINES.find((l) => l.line === line)!.extension;
  return GOLDEN_EXTENSIONS.find((e) => e.record.number === number)!;
};

/** The stored extension of a fixture line, its secret, and the label a phone shows. */
function expectedLine(line: number) {
  const { record: e, secret } = extensionOf(line);
  return { e, secret, label: e.label ?? e.displayName };
}

for (const name of ['yealink-t46s', 'yealink-t54w']) {
  const c = byName(name);
  const mac = c.device.mac;
  const code = name === 'yealink-t46s' ? '66' : '96';
  const files = renderCase(c);
  const read = (file: string): YealinkFile => readYealinkCfg(files.get(file)!);

  test(`${name}: every file reads with the Yealink line reader`, (t) => {
    for (const [file, body] of files) {
      t.notThrows(() => readYealinkCfg(body), file);
      t.is(body.split('\n')[0], '#!version:1.0.0.1', `${file}: first line`);
      t.true(body.endsWith('\n'), `${file}: ends with a newline`);
    }
  });

  test(`${name}: accounts read back exactly as stored`, (t) => {
    const cfg = read(`${mac}.cfg`);
    const v = (key: string) => cfg.values.get(key);
    for (const line of [1, 2]) {
      const { e, secret, label } = expectedLine(line);
      const a = `account.${line}.`;
      t.is(v(`${a}enable`), '1');
      t.is(v(`${a}password`), secret, `line ${line} password`);
      t.is(v(`${a}auth_name`), e.authUsername);
      t.is(v(`${a}user_name`), e.number);
      t.is(v(`${a}display_name`), e.displayName);
      t.is(v(`${a}label`), label);
      t.is(v(`${a}sip_server.1.address`), e.server.host);
      t.is(v(`${a}sip_server.1.port`), '5081');
      t.is(v(`${a}sip_server.1.transport_type`), '2', 'TLS is 2');
      t.is(v(`${a}sip_server.1.expires`), '3600');
      t.is(v(`${a}outbound_proxy_enable`), '1');
      t.is(v(`${a}outbound_proxy.1.address`), e.outboundProxy!.host);
      t.is(v(`${a}outbound_proxy.1.port`), String(e.outboundProxy!.port));
    }
    for (let line = 3; line <= 16; line++) {
      t.is(v(`account.${line}.enable`), '0', `unused line ${line} is off`);
      t.is(v(`account.${line}.password`), undefined);
    }
    t.is(v('account.17.enable'), undefined, 'no line beyond the model maximum');
    t.is(v('static.auto_provision.server.url'), 'https://prov.example.com/prov/');
    t.deepEqual(cfg.includes, []);
  });

  test(`${name}: the MAC boot file includes the model's common file, then the MAC file`, (t) => {
    const boot = read(`${mac}.boot`);
    t.deepEqual([...boot.values], [['overwrite_mode', '1']]);
    t.deepEqual(boot.includes, [
      { models: null, file: `y0000000000${code}.cfg` },
      { models: null, file: `${mac}.cfg` },
    ]);
  });

  test(`${name}: the model's common file turns on polling and a check-sync that does not reboot`, (t) => {
    const common = read(`y0000000000${code}.cfg`);
    t.is(common.values.get('sip.notify_reboot_enable'), '0');
    t.is(common.values.get('static.auto_provision.power_on'), '1');
    t.is(common.values.get('static.auto_provision.repeat.enable'), '1');
    const minutes = Number(common.values.get('static.auto_provision.repeat.minutes'));
    t.true(Number.isInteger(minutes) && minutes >= 1 && minutes <= 43200, `repeat.minutes ${minutes}`);
    t.false([...common.values.keys()].some((k) => /password|account\./.test(k)), 'no secrets in a shared file');
  });
}

test('yealink common boot file: one model-prefixed include per model code, each naming a file the server renders', (t) => {
  const boot = readYealinkCfg(cat.renderer.renderVendor(yealink).get('y000000000000.boot')!);
  t.deepEqual([...boot.values], [['overwrite_mode', '1']]);
  const seen = new Map<string, string>();
  for (const inc of boot.includes) {
    t.truthy(inc.models, `${inc.file} is fetched by every model`);
    for (const m of inc.models ?? []) {
      t.false(seen.has(m), `${m} listed twice`);
      seen.set(m, inc.file);
    }
    t.true(cat.matchFile(inc.file).some((f) => f.kind === 'render' && f.spec.scope === 'model'), inc.file);
  }
  t.deepEqual([...seen.keys()].sort(), Object.keys(yealink.models).sort());
  t.is(seen.get('T46S'), 'y000000000066.cfg');
  t.is(seen.get('T54W'), 'y000000000096.cfg');
  t.is(seen.get('T28P'), 'y000000000000.cfg');
});

test('yealink device without a model: model-prefixed common files first, the MAC file last, all 16 lines', (t) => {
  const d = device('yealink', '805ec0000001', null, GOLDEN_LINES);
  const files = cat.renderer.renderDevice(d, lookup(GOLDEN_EXTENSIONS), PROV_PASSWORD, TEST_SITE);
  const boot = readYealinkCfg(files.get('805ec0000001.boot')!);
  t.deepEqual(boot.includes.at(-1), { models: null, file: '805ec0000001.cfg' });
  t.true(boot.includes.slice(0, -1).every((i) => i.models !== null && i.models.length > 0));
  const cfg = readYealinkCfg(files.get('805ec0000001.cfg')!);
  t.is(cfg.values.get('account.16.enable'), '0');
  t.is(cfg.values.get('account.2.password'), extensionOf(2).secret);
});

const polycom = byName('polycom-vvx450');
const pmac = polycom.device.mac;
const pfiles = renderCase(polycom);

test('polycom: every file is well-formed for xmllint and fast-xml-parser', (t) => {
  for (const [file, body] of pfiles) {
    const lint = xmllint(body);
    t.true(lint.ok, `${file}: ${lint.errors}`);
    t.notThrows(() => polycomParams(body), file);
    t.true(body.startsWith('<?xml version="1.0" encoding="UTF-8"'), `${file}: declaration`);
  }
});

test('polycom: both master files list the MAC file and the common file, and each exists', (t) => {
  for (const file of [`${pmac}.cfg`, '000000000000.cfg']) {
    const [root, attrs] = rootOf(pfiles.get(file)!);
    t.is(root, 'APPLICATION');
    t.deepEqual(attrs, {
      APP_FILE_PATH: 'sip.ld',
      CONFIG_FILES: '[PHONE_MAC_ADDRESS]-sip.cfg, polycom-common.cfg',
      MISC_FILES: '',
      LOG_FILE_DIRECTORY: '',
      OVERRIDES_DIRECTORY: '',
      CONTACTS_DIRECTORY: '',
      LICENSE_DIRECTORY: '',
    });
    for (const listed of String(attrs.CONFIG_FILES).split(',')) {
      const name = listed.trim().replace('[PHONE_MAC_ADDRESS]', pmac);
      t.true(pfiles.has(name), `${name} is rendered for the phone`);
    }
  }
});

test('polycom: lines read back exactly as stored, by fast-xml-parser and by libxml2', (t) => {
  const body = pfiles.get(`${pmac}-sip.cfg`)!;
  const p = polycomParams(body);
  for (const line of [1, 2]) {
    const { e, secret, label } = expectedLine(line);
    const r = `reg.${line}.`;
    const want: Record<string, string> = {
      address: e.number,
      'auth.userId': e.authUsername,
      'auth.password': secret,
      displayName: e.displayName,
      label,
      type: 'private',
      lineKeys: '1',
      'server.1.address': e.server.host,
      'server.1.port': '5081',
      'server.1.transport': 'TLS',
      'server.1.expires': '3600',
      'outboundProxy.address': e.outboundProxy!.host,
      'outboundProxy.port': String(e.outboundProxy!.port),
      'outboundProxy.transport': 'TLS',
    };
    for (const [key, value] of Object.entries(want)) {
      t.is(p.get(r + key), value, `${r}${key} (fast-xml-parser)`);
      t.is(xmllintAttribute(body, r + key), value, `${r}${key} (libxml2)`);
    }
  }
  for (let line = 3; line <= 12; line++) {
    t.is(p.get(`reg.${line}.address`), '', `unused line ${line} is cleared`);
    t.false(p.has(`reg.${line}.auth.password`));
  }
  t.false(p.has('reg.13.address'), 'no line beyond the VVX 450 maximum');
});

test('polycom: the common file points the phone back at us over HTTPS and polls at a random time', (t) => {
  const p = polycomParams(pfiles.get('polycom-common.cfg')!);
  t.is(p.get('device.set'), '1');
  t.is(p.get('device.prov.serverName'), 'prov.example.com/prov');
  t.is(p.get('device.prov.serverName.set'), '1');
  t.is(p.get('device.prov.serverType'), '3', 'HTTPS is 3');
  t.is(p.get('device.prov.serverType.set'), '1');
  t.is(p.get('prov.polling.enabled'), '1');
  t.is(p.get('prov.polling.mode'), 'random');
  t.true(Number(p.get('prov.polling.period')) > 3600);
  t.regex(p.get('prov.polling.time') ?? '', /^\d\d:\d\d$/);
  t.regex(p.get('prov.polling.timeRandomEnd') ?? '', /^\d\d:\d\d$/);
  t.false([...p.keys()].some((k) => /password|^reg\./.test(k)), 'no secrets in a shared file');
});

test('polycom: the common file makes a check-sync NOTIFY re-read the configuration without a reboot', (t) => {
  const body = pfiles.get('polycom-common.cfg')!;
  t.is(polycomParams(body).get('voIpProt.SIP.specialEvent.checkSync.alwaysReboot'), '0');
  t.is(xmllintAttribute(body, 'voIpProt.SIP.specialEvent.checkSync.alwaysReboot'), '0');
});

test('each desk-phone profile names the check-sync Event its phones re-fetch on without rebooting', (t) => {
  t.is(cat.profiles.get('yealink')!.checkSync?.event, 'check-sync;reboot=false');
  t.is(cat.profiles.get('polycom')!.checkSync?.event, 'check-sync');
  for (const p of cat.profiles.all().filter((x) => x.kind === 'softphone')) t.is(p.checkSync, undefined, `${p.id} is never notified`);
});

test('polycom: a plain-HTTP public URL on its own port gives serverType 2 and host:port/path', (t) => {
  const plain = catalog(null, 'http://prov.example.com:8080/base');
  const p = polycomParams(plain.renderer.renderVendor(plain.profiles.get('polycom')!).get('polycom-common.cfg')!);
  t.is(p.get('device.prov.serverType'), '2');
  t.is(p.get('device.prov.serverName'), 'prov.example.com:8080/base/prov');
});
