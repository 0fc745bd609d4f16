// The registrar's CA bundle end to end over real HTTP: a Yealink on a TLS
// extension is pointed at a URL this server serves, and that URL serves the
// configured file byte for byte without credentials; a Polycom gets it
// inline. Changing the bundle (a restart with another file, or a reload after
// the file was replaced) re-renders every phone with a TLS line, which then
// shows pending, and leaves the others alone.
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';
import { selfSignedCert } from '../helpers/tls.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { xmllintAttribute } from '../helpers/xml.ts';
import { SIP_CA_FILE } from '../render/fixtures.ts';

const TOKEN = 'sip-ca-test-admin-token-0123456789';
const colons = (mac: string) => mac.match(/../g)!.join(':');
const YEA_TLS = '805ec0aa0001';
const YEA_UDP = '805ec0aa0002';
const POLY_TLS = '0004f2aa0003';
const yeaUa = (mac: string) => `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';

interface Fetched {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** A data directory and a CA file of its own, both removed after the test. */
function workspace(t: ExecutionContext) {
  const dir = tempDir('prov-sip-ca-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'data');
  const caFile = path.join(dir, 'registrar-ca.pem');
  fs.copyFileSync(SIP_CA_FILE, caFile);
  return { dataDir, caFile };
}

async function start(t: ExecutionContext, dataDir: string, caFile: string): Promise<TestServer> {
  const s = await startServer({ dataDir, env: { PROV_ADMIN_TOKEN: TOKEN, PROV_SIP_CA_FILE: caFile } });
  t.teardown(s.close);
  return s;
}

async function must(p: Promise<{ status: number; text: string }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
}

/** One TLS extension on a Yealink and a Polycom, one UDP extension on another Yealink; each phone fetches its credential file once. */
async function provisionAndFetch(s: TestServer) {
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: { host: 'pbx.example.com', transport: 'tls' } }) }), 201);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1002') }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: YEA_TLS, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] } }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: YEA_UDP, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1002' }] } }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: POLY_TLS, vendor: 'polycom', model: 'VVX_450', lines: [{ extension: '1001' }] } }), 201);
  const yTls = await get(`${s.url}/prov/${YEA_TLS}.cfg`, { 'user-agent': yeaUa(YEA_TLS) });
  const yUdp = await get(`${s.url}/prov/${YEA_UDP}.cfg`, { 'user-agent': yeaUa(YEA_UDP) });
  const poly = await get(`${s.url}/prov/${POLY_TLS}-sip.cfg`, { 'user-agent': POLY_UA });
  for (const r of [yTls, yUdp, poly]) if (r.status !== 200) throw new Error(`fetch: ${r.status}`);
  return { yTls: readYealinkCfg(yTls.body.toString('utf8')), yUdp: readYealinkCfg(yUdp.body.toString('utf8')), poly: poly.body.toString('utf8') };
}

const status = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json.status as string;

test('the CA URL a Yealink is given serves the configured bundle byte for byte, without credentials', async (t) => {
  const { dataDir, caFile } = workspace(t);
  const s = await start(t, dataDir, caFile);
  const { yTls, yUdp, poly } = await provisionAndFetch(s);
  t.is(yTls.values.get('static.security.trust_certificates'), '1');
  t.is(yTls.values.get('account.1.srtp_encryption'), '2', 'TLS extension: SRTP mandatory by default');
  t.is(yTls.values.get('account.1.sip_server.1.port'), '5061');
  t.is(yUdp.values.get('static.trusted_certificates.url'), undefined, 'a phone without a TLS line is not told');
  t.is(yUdp.values.get('account.1.srtp_encryption'), '0');

  const url = new URL(yTls.values.get('static.trusted_certificates.url')!);
  t.regex(url.pathname, /^\/prov\/sip-ca-[0-9a-f]{16}\.pem$/);
  const served = await get(`${s.url}${url.pathname}`);
  t.is(served.status, 200);
  t.true(served.body.equals(fs.readFileSync(caFile)), 'served bytes are the bundle exactly');
  t.regex(served.headers.get('content-type') ?? '', /^application\/x-pem-file/);
  t.is(served.headers.get('cache-control'), 'no-store');
  const again = await get(`${s.url}${url.pathname}`, { 'if-none-match': served.headers.get('etag')! });
  t.is(again.status, 304);
  t.is((await get(`${s.url}/prov/sip-ca-0000000000000000.pem`)).status, 404, 'only the current bundle has a name');

  const pem = fs.readFileSync(caFile, 'latin1');
  const first = pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + '-----END CERTIFICATE-----'.length);
  t.is(xmllintAttribute(poly, 'device.sec.TLS.customCaCert1'), first, 'the Polycom gets the first certificate inline');
});

test('a restart with another bundle moves every TLS device to pending; a reload after replacing the file does it again', async (t) => {
  const { dataDir, caFile } = workspace(t);
  const first = await start(t, dataDir, caFile);
  const { yTls } = await provisionAndFetch(first);
  const oldUrl = new URL(yTls.values.get('static.trusted_certificates.url')!).pathname;
  for (const mac of [YEA_TLS, YEA_UDP, POLY_TLS]) t.is(await status(first, mac), 'synced', `${mac} after its fetch`);
  await first.close();

  const other = await selfSignedCert();
  t.teardown(() => fs.rmSync(other.dir, { recursive: true, force: true }));
  fs.copyFileSync(other.cert, caFile);
  const second = await start(t, dataDir, caFile);
  t.is(await status(second, YEA_TLS), 'pending');
  t.is(await status(second, POLY_TLS), 'pending');
  t.is(await status(second, YEA_UDP), 'synced', 'no TLS line, nothing changed');
  const cfg = readYealinkCfg((await second.api('GET', `/api/devices/${YEA_TLS}/files/${YEA_TLS}.cfg`)).text);
  const newUrl = new URL(cfg.values.get('static.trusted_certificates.url')!).pathname;
  t.not(newUrl, oldUrl, 'a new bundle has a new URL, so the phone fetches it');
  t.true((await get(`${second.url}${newUrl}`)).body.equals(fs.readFileSync(other.cert)));
  t.is((await get(`${second.url}${oldUrl}`)).status, 404);

  // The phones catch up, then the file is replaced in place and the templates reloaded.
  await get(`${second.url}/prov/${YEA_TLS}.cfg`, { 'user-agent': yeaUa(YEA_TLS) });
  fs.copyFileSync(SIP_CA_FILE, caFile);
  const reload = await second.api('POST', '/api/templates/reload');
  t.is(reload.status, 200, reload.text);
  t.true(reload.json.changedDevices >= 2);
  t.is(await status(second, YEA_UDP), 'synced');
  t.not(await status(second, YEA_TLS), 'synced');
  t.not(await status(second, POLY_TLS), 'synced');

  // A reload that finds the file broken changes nothing and says why.
  fs.writeFileSync(caFile, 'not a certificate\n');
  const refused = await second.api('POST', '/api/templates/reload');
  t.is(refused.status, 422);
  t.regex(refused.json.error.message, /PROV_SIP_CA_FILE/);
  t.true((await get(`${second.url}${oldUrl}`)).body.equals(fs.readFileSync(SIP_CA_FILE)), 'the bundle in force is still served');
});

test('a softphone link for a TLS extension says the app trusts what the operating system trusts', async (t) => {
  const { dataDir, caFile } = workspace(t);
  const s = await start(t, dataDir, caFile);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { server: { host: 'pbx.example.com', transport: 'tls' } }) }), 201);
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1002') }), 201);
  const page = async (extension: string) => {
    const link = (await s.api('POST', '/api/links', { body: { extension, app: 'zoiper' } })).json;
    const res = await fetch(link.url.replace(/^https?:\/\/[^/]+/, s.url), { headers: { accept: 'text/html' } });
    return res.text();
  };
  t.regex(await page('1001'), /operating system trusts/);
  t.notRegex(await page('1002'), /operating system trusts/);
});
