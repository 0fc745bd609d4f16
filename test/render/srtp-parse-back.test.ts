// Media encryption and the registrar's CA read back by the independent
// readers: the Yealink line reader, libxml2 (xmllint) for Polycom and Zoiper,
// the MicroSIP INI reader. Each SRTP mode must come back in the vendor's own
// words, and Polycom's inline certificates byte for byte as the bundle holds
// them, line ends included.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { SRTP_MODES, TRANSPORTS } from '../../server/domain/extension.ts';
import { readMicrosipIni, iniGet } from '../helpers/microsip-ini-reader.ts';
import { tempDir } from '../helpers/server.ts';
import { polycomParams, xmllint, xmllintAttribute } from '../helpers/xml.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import {
  PROV_PASSWORD,
  PUBLIC_URL,
  SIP_CA_FILE,
  TLS_MANDATORY,
  UDP_OPTIONAL,
  catalog,
  device,
  extension,
  lookup,
  renderSoftphone,
  xmllintZoiperField,
  TEST_SITE,
} from './fixtures.ts';

const withCa = catalog(null, PUBLIC_URL, SIP_CA_FILE);
const withoutCa = catalog();
const bundle = fs.readFileSync(SIP_CA_FILE, 'latin1');
/** The bundle's certificates, cut out here with a reader of its own rather than the server's. */
const blocks = (text: string) => text.split(/(?<=-----END CERTIFICATE-----)\r?\n?/).filter((b) => b.trim() !== '');

const TLS_OFF = extension({
  number: '303',
  displayName: 'TLS Clear Audio',
  secret: 'Tls-Off-303!',
  server: { host: 'sip.example.com', port: 5061, transport: 'tls' },
  outboundProxy: null,
  media: { srtp: 'off' },
});
const ALL = [TLS_MANDATORY, UDP_OPTIONAL, TLS_OFF];

function yealinkCfg(cat = withCa, numbers = ['301', '302', '303']) {
  const d = device('yealink', '805ec0f0f0f1', 'T46S', numbers.map((extension, i) => ({ line: i + 1, extension })));
  return readYealinkCfg(cat.renderer.renderDevice(d, lookup(ALL), PROV_PASSWORD, TEST_SITE).get('805ec0f0f0f1.cfg')!);
}

function polycomSip(cat = withCa, numbers = ['301', '302', '303']) {
  const d = device('polycom', '0004f2f0f0f1', 'VVX_450', numbers.map((extension, i) => ({ line: i + 1, extension })));
  return cat.renderer.renderDevice(d, lookup(ALL), PROV_PASSWORD, TEST_SITE).get('0004f2f0f0f1-sip.cfg')!;
}

test('yealink: srtp_encryption per account is 2 for mandatory, 1 for optional, 0 for off', (t) => {
  const cfg = yealinkCfg();
  t.is(cfg.values.get('account.1.srtp_encryption'), '2');
  t.is(cfg.values.get('account.2.srtp_encryption'), '1');
  t.is(cfg.values.get('account.3.srtp_encryption'), '0');
  t.is(cfg.values.get('account.1.sip_server.1.transport_type'), '2', 'TLS registration');
  t.is(cfg.values.get('account.2.sip_server.1.transport_type'), '0', 'UDP registration');
});

test('yealink: a phone with a TLS line fetches the bundle by its fingerprinted URL and verifies against it', (t) => {
  const cfg = yealinkCfg();
  t.is(cfg.values.get('static.security.trust_certificates'), '1');
  const url = new URL(cfg.values.get('static.trusted_certificates.url')!);
  t.is(url.origin, PUBLIC_URL);
  t.regex(url.pathname, /^\/prov\/sip-ca-[0-9a-f]{16}\.pem$/);
  t.is(url.pathname, `/prov/${withCa.sipCa!.fileName}`);
});

test('yealink: no trust keys for a phone without a TLS line, nor without a bundle', (t) => {
  for (const cfg of [yealinkCfg(withCa, ['302']), yealinkCfg(withoutCa)]) {
    t.is(cfg.values.get('static.security.trust_certificates'), undefined);
    t.is(cfg.values.get('static.trusted_certificates.url'), undefined);
  }
});

test('polycom: per-line and device-wide SRTP keys read back by libxml2 and fast-xml-parser alike', (t) => {
  const xml = polycomSip();
  const lint = xmllint(xml);
  t.true(lint.ok, lint.errors);
  const params = polycomParams(xml);
  const want: Record<string, string> = {
    'reg.1.srtp.enable': '1', 'reg.1.srtp.offer': '1', 'reg.1.srtp.require': '1',
    'reg.2.srtp.enable': '1', 'reg.2.srtp.offer': '1', 'reg.2.srtp.require': '0',
    'reg.3.srtp.enable': '0', 'reg.3.srtp.offer': '0', 'reg.3.srtp.require': '0',
    // Firmware that only knows the device-wide keys gets the first line's mode.
    'sec.srtp.enable': '1', 'sec.srtp.offer': '1', 'sec.srtp.require': '1',
  };
  for (const [name, value] of Object.entries(want)) {
    t.is(xmllintAttribute(xml, name), value, `${name} (xmllint)`);
    t.is(params.get(name), value, `${name} (fast-xml-parser)`);
  }
});

test('polycom: each certificate of the bundle comes back inline, byte for byte, with its .set', (t) => {
  const xml = polycomSip();
  const certs = blocks(bundle);
  t.is(certs.length, 2);
  certs.forEach((pem, i) => {
    const key = `device.sec.TLS.customCaCert${i + 1}`;
    t.is(xmllintAttribute(xml, key), pem, `${key} read by libxml2`);
    // fast-xml-parser as configured here leaves numeric character references alone, so libxml2 is the reader of record.
    t.is(polycomParams(xml).get(key)?.replace(/&#10;/g, '\n'), pem, `${key} read by fast-xml-parser`);
    t.is(xmllintAttribute(xml, `${key}.set`), '1');
  });
  t.is(xmllintAttribute(xml, `device.sec.TLS.customCaCert${certs.length + 1}`), null, 'no slot beyond the bundle');
  t.is(certs.map((c) => c + '\n').join(''), bundle, 'together the slots are the whole bundle');
});

test('polycom: a bundle written with CRLF line ends comes back with its CRs', (t) => {
  const dir = tempDir('prov-ca-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'crlf.pem');
  fs.writeFileSync(file, bundle.replace(/\n/g, '\r\n'));
  const xml = polycomSip(catalog(null, PUBLIC_URL, file), ['301']);
  t.true(xmllint(xml).ok);
  const first = blocks(fs.readFileSync(file, 'latin1'))[0]!;
  t.true(first.includes('\r\n'));
  t.is(xmllintAttribute(xml, 'device.sec.TLS.customCaCert1'), first);
});

test('polycom: no certificate keys for a phone without a TLS line, nor without a bundle', (t) => {
  for (const xml of [polycomSip(withCa, ['302']), polycomSip(withoutCa)]) {
    t.is(xmllintAttribute(xml, 'device.sec.TLS.customCaCert1'), null);
    t.is(xmllintAttribute(xml, 'device.sec.TLS.customCaCert1.set'), null);
  }
});

test('zoiper: SIP_srtp_mode is SDES for mandatory and optional, none for off (read by libxml2)', (t) => {
  const field = (ext: typeof TLS_MANDATORY) =>
    xmllintZoiperField(renderSoftphone('zoiper', ext, withCa).get('zoiper.xml')!.bytes, 'SIP_srtp_mode');
  t.is(field(TLS_MANDATORY), 'SDES');
  t.is(field(UDP_OPTIONAL), 'SDES');
  t.is(field(TLS_OFF), 'none');
});

test('microsip: SRTP= reads back as mandatory, optional and empty', (t) => {
  const srtp = (ext: typeof TLS_MANDATORY) =>
    iniGet(readMicrosipIni(renderSoftphone('microsip', ext, withCa).get('MicroSIP.ini')!.bytes), 'Account1', 'SRTP');
  t.is(srtp(TLS_MANDATORY), 'mandatory');
  t.is(srtp(UDP_OPTIONAL), 'optional');
  t.is(srtp(TLS_OFF), '');
});

test('softphone files carry no CA: the apps use the operating system trust store', (t) => {
  for (const app of ['zoiper', 'microsip'] as const) {
    const body = renderSoftphone(app, TLS_MANDATORY, withCa).values().next().value!.bytes;
    t.false(body.toString('latin1').includes('BEGIN CERTIFICATE'), app);
    t.false(body.toString('utf16le').includes('BEGIN CERTIFICATE'), app);
  }
});

test('any mix of transports and SRTP choices on up to four lines reads back line by line, trust only with a TLS line', (t) => {
  const YEALINK = { off: '0', optional: '1', mandatory: '2' } as const;
  const POLYCOM = { off: ['0', '0', '0'], optional: ['1', '1', '0'], mandatory: ['1', '1', '1'] } as const;
  const lineArb = fc.record({
    transport: fc.constantFrom(...TRANSPORTS),
    srtp: fc.option(fc.constantFrom(...SRTP_MODES), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(lineArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (inputs, configured) => {
      const exts = inputs.map((x, i) =>
        extension({
          number: String(400 + i),
          displayName: `Line ${i + 1}`,
          secret: `Secret-${i}-xyz`,
          server: { host: 'sip.example.com', port: 5060, transport: x.transport },
          outboundProxy: null,
          ...(x.srtp ? { media: { srtp: x.srtp } } : {}),
        }),
      );
      const lines = exts.map((e, i) => ({ line: i + 1, extension: e.record.number }));
      const cat = configured ? withCa : withoutCa;
      const y = readYealinkCfg(cat.renderer.renderDevice(device('yealink', '805ec0f0f0f2', 'T46S', lines), lookup(exts), PROV_PASSWORD, TEST_SITE).get('805ec0f0f0f2.cfg')!).values;
      const p = polycomParams(cat.renderer.renderDevice(device('polycom', '0004f2f0f0f2', 'VVX_450', lines), lookup(exts), PROV_PASSWORD, TEST_SITE).get('0004f2f0f0f2-sip.cfg')!);
      const modes = inputs.map((x) => x.srtp ?? (x.transport === 'tls' ? 'mandatory' : 'off'));
      const ok = modes.every((m, i) => {
        const n = i + 1;
        return (
          y.get(`account.${n}.srtp_encryption`) === YEALINK[m] &&
          [p.get(`reg.${n}.srtp.enable`), p.get(`reg.${n}.srtp.offer`), p.get(`reg.${n}.srtp.require`)].join() === POLYCOM[m].join()
        );
      });
      const first = POLYCOM[modes[0]!].join();
      const trusted = configured && inputs.some((x) => x.transport === 'tls');
      return (
        ok &&
        [p.get('sec.srtp.enable'), p.get('sec.srtp.offer'), p.get('sec.srtp.require')].join() === first &&
        y.has('static.trusted_certificates.url') === trusted &&
        p.has('device.sec.TLS.customCaCert1') === trusted
      );
    }),
    { numRuns: 200 },
  );
  t.pass();
});
