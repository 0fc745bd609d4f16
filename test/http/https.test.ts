// The optional HTTPS listener (PROV_TLS_CERT/KEY/PORT): Basic is accepted
// over it and not over plain HTTP, phones are pointed back at https://, and
// a certificate that cannot be used stops the boot with one config error line
// (API.md "Phone authentication", README configuration).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { parseChallenges } from '../helpers/digest-client.ts';
import { basic, phoneCredentials } from '../helpers/phone.ts';
import { runToExit } from '../helpers/process.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';
import { httpsRequest, selfSignedCert } from '../helpers/tls.ts';

const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const YEA_UA = `Yealink SIP-T46S 66.86.0.15 ${YEA.match(/../g)!.join(':')}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';
const SECRET = 'Handset-Secret-1';

/** A port that was free a moment ago, so the rendered URL can be compared with the listener's. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function tlsServer(t: ExecutionContext, env: Record<string, string> = {}): Promise<TestServer> {
  const { cert, key } = await selfSignedCert();
  // The claim window is shut, so only credentials decide.
  const s = await startServer({ env: { PROV_TLS_CERT: cert, PROV_TLS_KEY: key, PROV_CLAIM_MINUTES: '0', ...env } });
  t.teardown(s.close);
  if (!s.tlsUrl) throw new Error('no TLS listener');
  const must = async (p: Promise<{ status: number; text: string }>) => {
    const r = await p;
    if (r.status !== 201) throw new Error(r.text);
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: SECRET }) }));
  await must(s.api('POST', '/api/devices', { body: { mac: YEA, vendor: 'yealink', lines: [{ extension: '1001' }] } }));
  await must(s.api('POST', '/api/devices', { body: { mac: POLY, vendor: 'polycom', lines: [{ extension: '1001' }] } }));
  return s;
}

const challengesOf = (values: string[] | undefined) =>
  parseChallenges(values).map((c) => `${c.scheme}${c.params.algorithm ? ` ${c.params.algorithm}` : ''}`);

test('Basic works over the HTTPS listener and not over plain HTTP', async (t) => {
  const s = await tlsServer(t);
  t.regex(s.tlsUrl!, /^https:\/\/127\.0\.0\.1:\d+$/);
  const creds = await phoneCredentials(s, YEA);
  const file = `/prov/${YEA}.cfg`;

  const bareTls = await httpsRequest(s.tlsUrl + file, { headers: { 'user-agent': YEA_UA } });
  t.is(bareTls.status, 401);
  t.is(bareTls.text, '');
  t.deepEqual(challengesOf(bareTls.headers['www-authenticate']), ['digest SHA-256', 'digest MD5', 'basic'], 'Basic offered over TLS');

  const plain = await fetch(s.url + file, { headers: { 'user-agent': YEA_UA, authorization: basic(creds) } });
  t.is(plain.status, 401, 'the same Basic over plain HTTP');
  t.is(await plain.text(), '');
  t.deepEqual(challengesOf([plain.headers.get('www-authenticate') ?? '']), ['digest SHA-256', 'digest MD5'], 'no Basic offered');
  t.is((await s.api('GET', `/api/devices/${YEA}`)).json.status, 'never');

  const wrong = await httpsRequest(s.tlsUrl + file, { headers: { 'user-agent': YEA_UA, authorization: basic({ ...creds, password: 'wrong-password' }) } });
  t.is(wrong.status, 401, 'a wrong password over TLS');

  const ok = await httpsRequest(s.tlsUrl + file, { headers: { 'user-agent': YEA_UA, authorization: basic(creds) } });
  t.is(ok.status, 200);
  t.true(ok.text.split('\n').includes(`account.1.password = ${SECRET}`));
  t.is((await s.api('GET', `/api/devices/${YEA}`)).json.status, 'synced');

  // An upload over TLS with Basic, read back over TLS.
  const polyCreds = await phoneCredentials(s, POLY);
  const override = '<?xml version="1.0"?><PHONE_CONFIG><ALL up.backlight.idleIntensity="1"/></PHONE_CONFIG>';
  const put = await httpsRequest(`${s.tlsUrl}/prov/${POLY}-phone.cfg`, {
    method: 'PUT',
    headers: { 'user-agent': POLY_UA, authorization: basic(polyCreds), 'content-type': 'application/xml' },
    body: override,
  });
  t.is(put.status, 204);
  const back = await httpsRequest(`${s.tlsUrl}/prov/${POLY}-phone.cfg`, { headers: { authorization: basic(polyCreds) } });
  t.is(back.text, override);
});

test('with TLS on and PROV_PUBLIC_URL unset, configs point phones at the https:// listener', async (t) => {
  const port = await freePort();
  const s = await tlsServer(t, { PROV_TLS_PORT: String(port) });
  t.is(s.tlsUrl, `https://127.0.0.1:${port}`);
  const creds = await phoneCredentials(s, YEA);
  const yealink = await httpsRequest(`${s.tlsUrl}/prov/${YEA}.cfg`, { headers: { 'user-agent': YEA_UA, authorization: basic(creds) } });
  t.is(yealink.status, 200);
  t.true(yealink.text.split('\n').includes(`static.auto_provision.server.url = https://127.0.0.1:${port}/prov/`), yealink.text);

  // Polycom's server type and name are in the shared file its master lists.
  const master = await httpsRequest(`${s.tlsUrl}/prov/${POLY}.cfg`, { headers: { 'user-agent': POLY_UA } });
  t.regex(master.text, /CONFIG_FILES="[^"]*polycom-common\.cfg/);
  const common = await httpsRequest(`${s.tlsUrl}/prov/polycom-common.cfg`, { headers: { 'user-agent': POLY_UA } });
  t.is(common.status, 200);
  t.regex(common.text, /\sdevice\.prov\.serverType="3"/);
  t.regex(common.text, new RegExp(`\\sdevice\\.prov\\.serverName="127\\.0\\.0\\.1:${port}/prov"`));
  // The plain listener serves the same bytes: the URL is the server's, not the request's.
  const overHttp = await fetch(`${s.url}/prov/polycom-common.cfg`);
  t.is(await overHttp.text(), common.text);
});

test('without TLS, Polycom is told plain HTTP (serverType 2): the https value above is not a constant', async (t) => {
  const s = await startServer({});
  t.teardown(s.close);
  t.is(s.tlsUrl, null);
  const common = await fetch(`${s.url}/prov/polycom-common.cfg`);
  t.regex(await common.text(), /\sdevice\.prov\.serverType="2"/);
});

function oneConfigError(t: ExecutionContext, run: { code: number | null; stderr: string }, variable: RegExp) {
  t.is(run.code, 1, run.stderr);
  const lines = run.stderr.trim().split('\n');
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0]!, /^config error: PROV_TLS_/);
  t.regex(lines[0]!, variable);
}

test('a certificate or key file that does not exist stops the boot with one config error line', async (t) => {
  const { cert, key, dir } = await selfSignedCert();
  const missing = path.join(dir, 'no-such.pem');
  const base = { PROV_DATA_DIR: tempDir(), PROV_TLS_PORT: '0' };
  oneConfigError(t, await runToExit({ ...base, PROV_TLS_CERT: missing, PROV_TLS_KEY: key }), /^config error: PROV_TLS_CERT\b/);
  oneConfigError(t, await runToExit({ ...base, PROV_DATA_DIR: tempDir(), PROV_TLS_CERT: cert, PROV_TLS_KEY: missing }), /PROV_TLS_KEY/);
  t.true(fs.existsSync(cert), 'the good files are left alone');
});

test('PROV_TLS_CERT without PROV_TLS_KEY, or the other way round, stops the boot with one config error line', async (t) => {
  const { cert, key } = await selfSignedCert();
  oneConfigError(t, await runToExit({ PROV_DATA_DIR: tempDir(), PROV_TLS_CERT: cert }), /^config error: PROV_TLS_KEY must be set/);
  oneConfigError(t, await runToExit({ PROV_DATA_DIR: tempDir(), PROV_TLS_KEY: key }), /^config error: PROV_TLS_CERT must be set/);
});
