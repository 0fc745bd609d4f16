// The softphone fixture read back by real parsers, from the bytes a download
// serves: the Zoiper XML through fast-xml-parser and through libxml2
// (libxml2 well-formedness and an XPath read of every text value), the MicroSIP
// file through the Windows profile-API reader. What comes back must be what
// the store holds, under the keys VENDORS.md names.
import test from 'ava';
import type { OpenExtension } from '../../server/render/renderer.ts';
import { iniGet, iniSection, readMicrosipIni } from '../helpers/microsip-ini-reader.ts';
import { xmllint } from '../helpers/xml.ts';
import { SOFTPHONE_EXTENSION, catalog, extension, renderSoftphone, xmllintZoiperField, zoiperAccount } from './fixtures.ts';

const cat = catalog();
const zoiperBytes = (ext: OpenExtension) => renderSoftphone('zoiper', ext, cat).get('zoiper.xml')!.bytes;
const microsipBytes = (ext: OpenExtension) => renderSoftphone('microsip', ext, cat).get('MicroSIP.ini')!.bytes;

const { record: e, secret } = SOFTPHONE_EXTENSION;

/** Every Zoiper field and the value it must read back as, for the golden fixture. */
const ZOIPER_EXPECTED: [string, string][] = [
  ['name', e.label!],
  ['username', e.number],
  ['password', secret],
  ['register_on_startup', 'true'],
  ['protocol', 'SIP'],
  ['SIP_domain', `${e.server.host}:${e.server.port}`],
  ['SIP_transport_type', 'TLS'],
  // TLS leaves SRTP to its default, mandatory; Zoiper names SRTP by its keying (SDES) only.
  ['SIP_srtp_mode', 'SDES'],
  ['SIP_use_outbound_proxy', 'true'],
  ['SIP_outbound_proxy', `${e.outboundProxy!.host}:${e.outboundProxy!.port}`],
  ['SIP_use_auth_username', 'true'],
  ['SIP_auth_username', e.authUsername],
  ['SIP_callerId', e.displayName],
];

test('the fixture is what the golden files promise to cover', (t) => {
  t.is(e.server.transport, 'tls');
  t.not(e.server.port, 5061, 'TLS on a non-default port');
  t.truthy(e.outboundProxy);
  t.not(e.authUsername, e.number);
  t.regex(e.displayName, /[^\x00-\x7f]/);
  t.regex(e.displayName, /"/);
  for (const c of ['&', '<', '"', "'"]) t.true(secret.includes(c), `secret has ${c}`);
  t.true(secret.startsWith('"') && secret.endsWith('"'), 'secret has outer quotes of its own');
});

test('zoiper: fast-xml-parser reads every field back exactly as stored, and nothing else', (t) => {
  const account = zoiperAccount(zoiperBytes(SOFTPHONE_EXTENSION));
  t.deepEqual([...account], ZOIPER_EXPECTED);
});

test('zoiper: libxml2 finds the served bytes well-formed and reads every field back exactly', (t) => {
  const bytes = zoiperBytes(SOFTPHONE_EXTENSION);
  const lint = xmllint(bytes.toString('utf8'));
  t.true(lint.ok, lint.errors);
  for (const [field, want] of ZOIPER_EXPECTED) t.is(xmllintZoiperField(bytes, field), want, field);
});

test('zoiper: without an outbound proxy the proxy is off and no proxy address is given', (t) => {
  const ext = extension({ number: '205', displayName: 'No Proxy', secret: 'Secret-205!', outboundProxy: null });
  const account = zoiperAccount(zoiperBytes(ext));
  t.is(account.get('SIP_use_outbound_proxy'), 'false');
  t.false(account.has('SIP_outbound_proxy'));
  t.is(account.get('name'), 'No Proxy', 'the label falls back to the display name');
});

test('zoiper: each transport is written as Zoiper names it', (t) => {
  for (const [transport, want] of [['udp', 'UDP'], ['tcp', 'TCP'], ['tls', 'TLS']] as const) {
    const ext = extension({ number: '206', displayName: 'T', secret: 'Secret-206!', server: { host: 'pbx.example', port: 5060, transport } });
    t.is(zoiperAccount(zoiperBytes(ext)).get('SIP_transport_type'), want, transport);
  }
});

test('microsip: the served bytes read back through the Windows profile-API reader exactly as stored', (t) => {
  const ini = readMicrosipIni(microsipBytes(SOFTPHONE_EXTENSION));
  t.is(ini.encoding, 'utf16le');
  t.deepEqual([...ini.sections.keys()], ['Settings', 'Account1']);
  t.deepEqual([...iniSection(ini, 'Settings')!], [
    ['accountId', '1'],
    ['updatesInterval', 'never'],
  ]);
  t.deepEqual([...iniSection(ini, 'Account1')!], [
    ['label', e.label!],
    ['server', `${e.server.host}:${e.server.port}`],
    ['proxy', `${e.outboundProxy!.host}:${e.outboundProxy!.port}`],
    ['domain', `${e.server.host}:${e.server.port}`],
    ['username', e.number],
    ['password', secret],
    ['authID', e.authUsername],
    ['displayName', e.displayName],
    ['transport', 'tls'],
    ['SRTP', 'mandatory'],
    ['registerRefresh', '300'],
    ['keepAlive', '15'],
    ['publicAddr', ''],
    ['voicemailNumber', ''],
  ]);
});

test('microsip: the same file saved as UTF-8 (no BOM) would give MicroSIP a wrong display name', (t) => {
  const text = microsipBytes(SOFTPHONE_EXTENSION).subarray(2).toString('utf16le');
  const misread = readMicrosipIni(Buffer.from(text, 'utf8'));
  t.is(iniGet(misread, 'Account1', 'password'), secret, 'ASCII survives');
  t.not(iniGet(misread, 'Account1', 'displayName'), e.displayName, 'the reader would catch a BOM-less non-ASCII file');
});

test('microsip: an all-ASCII account is served as plain ASCII, no BOM, CRLF, and reads back exactly', (t) => {
  const ext = extension({ number: '207', displayName: "O'Neil \"Desk\"", secret: `'quoted=#;&x'`, outboundProxy: null });
  const { bytes, contentType } = renderSoftphone('microsip', ext, cat).get('MicroSIP.ini')!;
  t.is(contentType, 'text/plain; charset=us-ascii');
  t.true(bytes.every((b) => b < 0x80), 'every byte is ASCII');
  t.not(bytes[0], 0xff);
  t.false(/(?<!\r)\n/.test(bytes.toString('latin1')), 'CRLF line ends');
  const ini = readMicrosipIni(bytes);
  t.is(ini.encoding, 'ansi');
  t.is(iniGet(ini, 'Account1', 'password'), `'quoted=#;&x'`);
  t.is(iniGet(ini, 'Account1', 'displayName'), "O'Neil \"Desk\"");
  t.is(iniGet(ini, 'Account1', 'label'), "O'Neil \"Desk\"", 'the label falls back to the display name');
  t.is(iniGet(ini, 'Account1', 'proxy'), '', 'no proxy');
});

test('microsip: each transport is written as MicroSIP names it', (t) => {
  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    const ext = extension({ number: '208', displayName: 'T', secret: 'Secret-208!', server: { host: 'pbx.example', port: 5070, transport } });
    t.is(iniGet(readMicrosipIni(microsipBytes(ext)), 'Account1', 'transport'), transport);
  }
});

// The API accepts an IPv6 literal as server or proxy host (isValidHost:
// isIP(host) !== 0). Written as host:port without brackets, `2001:db8::10:5081`
// is itself a valid IPv6 address and no port at all: the app cannot tell where
// the address ends. A SIP host:port needs `[2001:db8::10]:5081` (RFC 3261 §25.1).
test('an IPv6 server and proxy are written as [address]:port for both apps', (t) => {
  const ext = extension({
    number: '209',
    displayName: 'V6',
    secret: 'Secret-209!',
    server: { host: '2001:db8::10', port: 5081, transport: 'tls' },
    outboundProxy: { host: 'fd00::5', port: 5071 },
  });
  const zoiper = zoiperAccount(zoiperBytes(ext));
  t.is(zoiper.get('SIP_domain'), '[2001:db8::10]:5081', 'zoiper SIP_domain');
  t.is(zoiper.get('SIP_outbound_proxy'), '[fd00::5]:5071', 'zoiper SIP_outbound_proxy');
  const ini = readMicrosipIni(microsipBytes(ext));
  t.is(iniGet(ini, 'Account1', 'server'), '[2001:db8::10]:5081', 'microsip server');
  t.is(iniGet(ini, 'Account1', 'domain'), '[2001:db8::10]:5081', 'microsip domain');
  t.is(iniGet(ini, 'Account1', 'proxy'), '[fd00::5]:5071', 'microsip proxy');
});
