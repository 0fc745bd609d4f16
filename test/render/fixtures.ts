// Shared inputs for the rendering tests: a catalog built from the repository's
// own profiles and templates, and hand-built records (no store, no sealing).
import { builtInDefaultSite } from '../../server/domain/site.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceLine, DeviceRecord } from '../../server/domain/device.ts';
import type { ExtensionMedia, ExtensionRecord, OutboundProxy, SipServer } from '../../server/domain/extension.ts';
import type { Mac } from '../../server/domain/mac.ts';
import { encodeBody, type EncodedBody } from '../../server/render/body-encoding.ts';
import { loadCatalog, type Catalog } from '../../server/render/catalog.ts';
import type { OpenExtension } from '../../server/render/renderer.ts';
import { libxmlValue, parseXml } from '../helpers/xml.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PUBLIC_URL = 'https://prov.example.com';
const AT = '2024-01-02T03:04:05.000Z';

export function catalog(overrideDir: string | null = null, publicUrl = PUBLIC_URL, sipCaFile: string | null = null): Catalog {
  return loadCatalog({ root: ROOT, overrideDir, publicUrl, sipCaFile });
}

/** Two self-signed CA certificates in one PEM file: the registrar's CA bundle of the TLS golden cases. */
export const SIP_CA_FILE = path.join(ROOT, 'test/render/sip-ca-bundle.pem');

export interface ExtensionInput {
  number: string;
  displayName: string;
  authUsername?: string;
  secret: string;
  server?: SipServer;
  outboundProxy?: OutboundProxy | null;
  label?: string | null;
  media?: ExtensionMedia;
}

export const TLS_SERVER: SipServer = { host: 'sip.example.com', port: 5081, transport: 'tls' };
/** The password the fixture phones authenticate to the server with. */
export const PROV_PASSWORD = 'Prov&Pass<"42">';
/** The site golden files are rendered for: the default one, on UTC. */
export const TEST_SITE = builtInDefaultSite('UTC', '2024-01-01T00:00:00.000Z');

export const PROXY: OutboundProxy = { host: 'proxy.example.net', port: 5071 };

export function extension(input: ExtensionInput): OpenExtension {
  const record: ExtensionRecord = {
    number: input.number,
    displayName: input.displayName,
    authUsername: input.authUsername ?? input.number,
    secretSealed: 'sealed-not-used-by-the-renderer',
    secretVersion: 1,
    server: input.server ?? TLS_SERVER,
    outboundProxy: input.outboundProxy === undefined ? PROXY : input.outboundProxy,
    label: input.label ?? null,
    ...(input.media ? { media: input.media } : {}),
    createdAt: AT,
    updatedAt: AT,
    rev: 1,
  };
  return { record, secret: input.secret };
}

export function device(vendor: string, mac: string, model: string | null, lines: DeviceLine[]): DeviceRecord {
  return {
    mac: mac as Mac,
    vendor,
    model,
    label: null,
    lines,
    configVersion: 1,
    fetchedVersion: null,
    lastFetch: null,
    // Not opened by these tests: they hand the renderer PROV_PASSWORD directly.
    provPasswordSealed: 'sealed-elsewhere',
    claimUntil: null,
    createdAt: AT,
    updatedAt: AT,
    rev: 1,
  };
}

/** The extensions' lookup as renderDevice wants it; an unknown number is a test bug. */
export function lookup(extensions: OpenExtension[]): (number: string) => OpenExtension {
  const byNumber = new Map(extensions.map((e) => [e.record.number, e]));
  return (number) => {
    const found = byNumber.get(number);
    if (!found) throw new Error(`fixture has no extension ${number}`);
    return found;
  };
}

/** The golden fixture: two lines on two extensions, TLS on 5081, an outbound proxy, nasty text. */
export const GOLDEN_EXTENSIONS: OpenExtension[] = [
  extension({
    number: '201',
    displayName: 'Zoë "Front" Desk',
    authUsername: 'auth-201',
    secret: 'Pa&ss<wo"rd#1=x',
    label: 'Reception & Co',
  }),
  extension({
    number: '202',
    displayName: "Jürgen \"JJ\" O'Neil",
    secret: `#start=&amp;<"&#38;>'end`,
  }),
];

export const GOLDEN_LINES: DeviceLine[] = [
  { line: 1, extension: '201' },
  { line: 2, extension: '202' },
];

export interface GoldenCase {
  /** Folder under test/render/golden/. */
  name: string;
  device: DeviceRecord;
  /** Vendor- and model-scope files this phone fetches. */
  vendorFiles: string[];
}

export const GOLDEN_CASES: GoldenCase[] = [
  {
    name: 'yealink-t46s',
    device: device('yealink', '805ec0a1b2c3', 'T46S', GOLDEN_LINES),
    vendorFiles: ['y000000000000.boot', 'y000000000066.cfg'],
  },
  {
    name: 'yealink-t54w',
    device: device('yealink', '249ad8a1b2c4', 'T54W', GOLDEN_LINES),
    vendorFiles: ['y000000000000.boot', 'y000000000096.cfg'],
  },
  {
    name: 'polycom-vvx450',
    device: device('polycom', '0004f2a1b2c5', 'VVX_450', GOLDEN_LINES),
    vendorFiles: ['000000000000.cfg', 'polycom-common.cfg'],
  },
  // One per model family: Grandstream GRP26xx and GXP21xx, Snom D7xx, Fanvil X, Cisco MPP 88xx and 78xx.
  { name: 'grandstream-grp2614', device: device('grandstream', 'c074ada1b2c6', 'GRP2614', GOLDEN_LINES), vendorFiles: [] },
  { name: 'grandstream-gxp2170', device: device('grandstream', '000b82a1b2c7', 'GXP2170', GOLDEN_LINES), vendorFiles: [] },
  { name: 'snom-d785', device: device('snom', '000413a1b2c8', 'D785', GOLDEN_LINES), vendorFiles: [] },
  { name: 'fanvil-x4u', device: device('fanvil', '0c383ea1b2c9', 'X4U', GOLDEN_LINES), vendorFiles: [] },
  { name: 'cisco-cp-8841-3pcc', device: device('cisco', '00562ba1b2ca', 'CP-8841-3PCC', GOLDEN_LINES), vendorFiles: ['8841-3PCC.xml'] },
  { name: 'cisco-cp-7841-3pcc', device: device('cisco', '00562ba1b2cb', 'CP-7841-3PCC', GOLDEN_LINES), vendorFiles: ['7841-3PCC.xml'] },
];

/** The desk phones added as data only: vendor, the case name of its golden files, a MAC and a model. */
export const DATA_VENDORS = [
  { vendor: 'grandstream', mac: 'c074ad000042', model: 'GRP2614' },
  { vendor: 'snom', mac: '000413000042', model: 'D785' },
  { vendor: 'fanvil', mac: '0c383e000042', model: 'X4U' },
  { vendor: 'cisco', mac: '00562b000042', model: 'CP-8841-3PCC' },
] as const;
export type DataVendor = (typeof DATA_VENDORS)[number]['vendor'];

export const UDP_SERVER: SipServer = { host: 'sip.example.com', port: 5060, transport: 'udp' };

/**
 * The media-encryption golden fixture: one extension on TLS that leaves SRTP
 * to its default (mandatory), one on UDP whose admin chose optional SRTP,
 * rendered with the registrar's CA bundle configured.
 */
export const SRTP_EXTENSIONS: OpenExtension[] = [
  extension({ number: '301', displayName: 'TLS Desk', secret: 'Tls&Srtp<301>', server: { host: 'sip.example.com', port: 5061, transport: 'tls' }, outboundProxy: { host: 'sbc.example.net', port: 5061 } }),
  extension({ number: '302', displayName: 'UDP Desk', secret: 'Udp&Srtp<302>', server: UDP_SERVER, outboundProxy: null, media: { srtp: 'optional' } }),
];
export const [TLS_MANDATORY, UDP_OPTIONAL] = SRTP_EXTENSIONS as [OpenExtension, OpenExtension];

export interface SrtpCase extends GoldenCase {
  extension: OpenExtension;
}

/** Each desk phone on one line of each SRTP extension, a folder per (vendor, extension). */
export const SRTP_CASES: SrtpCase[] = [
  ['tls-mandatory', TLS_MANDATORY],
  ['udp-optional', UDP_OPTIONAL],
].flatMap(([name, ext]) =>
  [
    ['yealink-t46s', 'yealink', '805ec0c1d2e3', 'T46S'],
    ['polycom-vvx450', 'polycom', '0004f2c1d2e5', 'VVX_450'],
    ['grandstream-grp2614', 'grandstream', 'c074adc1d2e6', 'GRP2614'],
    ['snom-d785', 'snom', '000413c1d2e7', 'D785'],
    ['fanvil-x4u', 'fanvil', '0c383ec1d2e8', 'X4U'],
    ['cisco-cp-8841-3pcc', 'cisco', '00562bc1d2e9', 'CP-8841-3PCC'],
  ].map(([kase, vendor, mac, model]) => ({
    name: `${kase}-${name}`,
    extension: ext as OpenExtension,
    device: device(vendor!, mac!, model!, [{ line: 1, extension: (ext as OpenExtension).record.number }]),
    vendorFiles: [],
  })),
);

/** Every file of the case: device-scope files and the vendor files the phone fetches. */
export function renderCase(c: GoldenCase, cat: Catalog = catalog(), extensions: OpenExtension[] = GOLDEN_EXTENSIONS): Map<string, string> {
  const out = new Map(cat.renderer.renderDevice(c.device, lookup(extensions), PROV_PASSWORD, TEST_SITE));
  const vendor = cat.renderer.renderVendor(cat.profiles.get(c.device.vendor)!);
  for (const file of c.vendorFiles) {
    const body = vendor.get(file);
    if (body === undefined) throw new Error(`${c.device.vendor} renders no ${file}`);
    out.set(file, body);
  }
  return out;
}

/**
 * The softphone golden fixture: TLS on 5081 (not the default 5061), an
 * outbound proxy, an auth user name that is not the number, a display name
 * with a non-ASCII letter and quotes, and a secret with `&<"'` inside a pair
 * of outer quotes of its own.
 */
export const SOFTPHONE_EXTENSION: OpenExtension = extension({
  number: '201',
  displayName: 'Zoë "Front" Desk',
  authUsername: 'auth-201',
  secret: `"Pa&ss<wo'rd>"`,
  label: 'Reception & Co',
});

export const SOFTPHONE_APPS = ['zoiper', 'microsip'] as const;
export type SoftphoneApp = (typeof SOFTPHONE_APPS)[number];

/** The softphone SRTP cases: a folder per (app, extension). */
export const SOFTPHONE_SRTP_CASES = SOFTPHONE_APPS.flatMap((app) => [
  { name: `${app}-tls-mandatory`, app, extension: TLS_MANDATORY },
  { name: `${app}-udp-optional`, app, extension: UDP_OPTIONAL },
]);

/** Every file of the app for the extension, rendered and then encoded exactly as a download serves it. */
export function renderSoftphone(app: SoftphoneApp, ext: OpenExtension, cat: Catalog = catalog()): Map<string, EncodedBody> {
  const profile = cat.profiles.get(app);
  if (!profile) throw new Error(`no vendor profile ${app}`);
  const out = new Map<string, EncodedBody>();
  for (const [file, text] of cat.renderer.renderExtension(profile, ext)) out.set(file, encodeBody(profile, text));
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The one `<options><accounts><account>` of a Zoiper document as
 * fast-xml-parser reads it: field name to text. Anything else in the shape
 * (a second account, a field given twice, an element inside a field, text
 * outside the fields but whitespace) is an error.
 */
export function zoiperAccount(bytes: Buffer): Map<string, string> {
  const fail = (problem: string): never => {
    throw new Error(`zoiper.xml: ${problem}`);
  };
  const record = (node: unknown, where: string): Record<string, unknown> => {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return fail(`expected one <${where}>`);
    const out = { ...(node as Record<string, unknown>) };
    if (out['#text'] !== undefined && !/^\s*$/.test(String(out['#text']))) fail(`text directly inside <${where}>`);
    delete out['#text'];
    return out;
  };
  const doc = record(parseXml(UTF8.decode(bytes)), '');
  if (Object.keys(doc).join() !== 'options') fail(`root is ${Object.keys(doc).join()}, not options`);
  const options = record(doc.options, 'options');
  const account = record(record(options.accounts, 'accounts').account, 'account');
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(account)) {
    if (typeof value !== 'string') fail(`<${name}> is not a single text field`);
    fields.set(name, value as string);
  }
  return fields;
}

/** The text libxml2 reads for /options/accounts/account/<field> (null when absent; an error when repeated). */
export function xmllintZoiperField(bytes: Buffer, field: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) throw new Error(`not an element name: ${field}`);
  return libxmlValue(bytes, `/options/accounts/account/${field}`, `<${field}>`);
}
