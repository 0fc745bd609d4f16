// Zero-touch as a stranger on the phone network would try it, with curl as an
// independent HTTP and Digest client: a claim is one delivery and only from
// PROV_CLAIM_NETWORKS, a Yealink claim needs its MAC in the User-Agent, a
// re-claim or a rotation retires the old provisioning password once the phone
// has fetched the new one (or at once), and an upload needs credentials
// before its body is even read (API.md "Phone authentication").
import fs from 'node:fs';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { curl, curlFleet } from '../helpers/curl.ts';
import { tempDir, type TestServer } from '../helpers/server.ts';

const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const YEA_UA = `Yealink SIP-T46S 66.86.0.15 ${YEA.match(/../g)!.join(':')}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018';
const SECRET = 'Handset-Secret-1';

/** One curl run against a /prov file; the status and body of its last response. */
const curlProv = (s: TestServer, file: string, args: string[]) => curl(`${s.url}/prov/${file}`, args);
const bare = (s: TestServer, file: string, ua: string) => curlProv(s, file, ['-A', ua]);
const digest = (s: TestServer, file: string, ua: string, user: string, password: string, extra: string[] = []) =>
  curlProv(s, file, ['--digest', '-u', `${user}:${password}`, '-A', ua, ...extra]);

/** The provisioning password a delivered file hands the phone. */
function passwordIn(body: string): string {
  const m = /static\.auto_provision\.server\.password = (.+)/.exec(body) ?? /device\.prov\.password="([^"]+)"/.exec(body);
  if (!m) throw new Error(`no provisioning password in:\n${body}`);
  return m[1]!.trim();
}

const server = (t: ExecutionContext, env: Record<string, string> = {}) => curlFleet(t, SECRET, { PROV_SCAN_THRESHOLD: '1000', ...env });

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;
const audit = async (s: TestServer, action: string) => (await s.api('GET', `/api/audit?action=${action}&limit=100`)).json as any[];

test('a claim is one delivery: the next plain request is 401, and curl --digest with what it delivered gets 200', async (t) => {
  const s = await server(t);
  for (const [mac, file, ua, secretLine] of [
    [YEA, `${YEA}.cfg`, YEA_UA, `account.1.password = ${SECRET}`],
    [POLY, `${POLY}-sip.cfg`, POLY_UA, `reg.1.auth.password="${SECRET}"`],
  ] as const) {
    const claimed = await bare(s, file, ua);
    t.is(claimed.status, 200, `${file}: the claim`);
    t.true(claimed.body.includes(secretLine));
    const password = passwordIn(claimed.body);
    t.is((await device(s, mac)).claimUntil, null, 'the window closed with the delivery');
    for (let i = 0; i < 3; i++) {
      const again = await bare(s, file, ua);
      t.is(again.status, 401, `${file}: plain request ${i + 1} after the claim`);
      t.is(again.body, '');
    }
    const authed = await digest(s, file, ua, mac, password);
    t.is(authed.status, 200, `${file}: curl --digest with the delivered password`);
    t.true(authed.body.includes(secretLine));
    t.like((await device(s, mac)).credentials, { lastUsed: 'current' });
  }
  const claims = await audit(s, 'device.claimed');
  t.is(claims.length, 2);
  for (const c of claims) t.like(c, { details: { ip: '127.0.0.1' } });
});

test('outside PROV_CLAIM_NETWORKS, or a Yealink User-Agent without the MAC, gets nothing', async (t) => {
  const far = await server(t, { PROV_CLAIM_NETWORKS: '192.168.0.0/16,fd00::/8' });
  for (const [file, ua] of [[`${YEA}.cfg`, YEA_UA], [`${POLY}-sip.cfg`, POLY_UA]] as const) {
    const r = await bare(far, file, ua);
    t.is(r.status, 401, `${file} from 127.0.0.1`);
    t.false(r.body.includes(SECRET));
  }
  t.deepEqual(await audit(far, 'device.claimed'), []);

  const near = await server(t);
  for (const ua of ['Yealink SIP-T46S 66.86.0.15', 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:99:99:99']) {
    const r = await bare(near, `${YEA}.cfg`, ua);
    t.is(r.status, 401, ua);
    t.false(r.body.includes(SECRET));
  }
  t.deepEqual(await audit(near, 'device.claimed'), []);
  t.is((await bare(near, `${YEA}.cfg`, YEA_UA)).status, 200, 'the real phone still has its claim');
});

test('rotate and re-claim: the old password works until the new file was fetched, then fails; immediate kills it at once', async (t) => {
  const s = await server(t);
  const file = `${YEA}.cfg`;
  const p0 = passwordIn((await bare(s, file, YEA_UA)).body);
  t.is((await digest(s, file, YEA_UA, YEA, p0)).status, 200);

  // Rotation: both work until the phone fetched the file carrying the new one.
  const rotated = await s.api('POST', `/api/devices/${YEA}/credentials/rotate`);
  t.is(rotated.status, 200, rotated.text);
  t.like(rotated.json.credentials, { previousAccepted: true });
  t.false(JSON.stringify(rotated.json).includes(p0), 'the device never shows a password');
  t.is((await digest(s, `${YEA}.boot`, YEA_UA, YEA, p0)).status, 200, 'the old one still works before the fetch');
  const fetched = await digest(s, file, YEA_UA, YEA, p0);
  t.is(fetched.status, 200, 'the phone fetches with the old one');
  const p1 = passwordIn(fetched.body);
  t.not(p1, p0);
  t.like((await device(s, YEA)).credentials, { lastUsed: 'previous', previousAccepted: false });
  t.is((await digest(s, file, YEA_UA, YEA, p0)).status, 401, 'the old one fails once the new file was fetched');
  t.is((await digest(s, file, YEA_UA, YEA, p1)).status, 200, 'the new one works');
  t.like((await device(s, YEA)).credentials, { lastUsed: 'current' });

  // Re-claim: a new password for the factory-reset phone; the one a harvester held dies with its fetch.
  t.is((await s.api('POST', `/api/devices/${YEA}/claim`)).status, 200);
  t.is((await digest(s, `${YEA}.boot`, YEA_UA, YEA, p1)).status, 200, 'until the phone fetched, the old one works');
  const reclaimed = await bare(s, file, YEA_UA);
  t.is(reclaimed.status, 200, 'the re-opened claim delivers once');
  const p2 = passwordIn(reclaimed.body);
  t.not(p2, p1);
  t.is((await digest(s, file, YEA_UA, YEA, p1)).status, 401, 'the old one fails after the re-claim delivery');
  t.is((await digest(s, file, YEA_UA, YEA, p2)).status, 200);

  // A suspected leak: the old one stops now, before any fetch.
  const now = await s.api('POST', `/api/devices/${YEA}/credentials/rotate`, { body: { immediate: true } });
  t.is(now.status, 200, now.text);
  t.like(now.json.credentials, { previousAccepted: false });
  t.is((await digest(s, file, YEA_UA, YEA, p2)).status, 401, 'immediate: the old one fails at once');
  t.is((await bare(s, file, YEA_UA)).status, 401, 'and the window stays shut');
  const p3 = (await s.api('GET', `/api/devices/${YEA}/credentials`)).json.password as string;
  t.is((await digest(s, file, YEA_UA, YEA, p3)).status, 200);

  const rotations = await audit(s, 'device.credentials-rotated');
  t.like(rotations, [{ details: { immediate: true } }, { details: { immediate: false } }]);
  t.is((await s.api('POST', `/api/devices/${YEA}/credentials/rotate`, { body: { immediate: 'yes' } })).status, 422);
  t.is((await s.api('POST', '/api/devices/805ec0999999/credentials/rotate')).status, 404);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token;
  t.is((await s.api('POST', `/api/devices/${YEA}/credentials/rotate`, { token: viewer })).status, 403);
});

test('an upload without credentials is 401 and never stored; one past the cap is refused before its body is read', async (t) => {
  const s = await server(t);
  const dir = tempDir('prov-upload-');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const evil = path.join(dir, 'evil.xml');
  fs.writeFileSync(evil, '<?xml version="1.0"?><PHONE_CONFIG><ALL device.prov.serverName="evil.example"/></PHONE_CONFIG>');
  const good = path.join(dir, 'good.xml');
  fs.writeFileSync(good, '<?xml version="1.0"?><PHONE_CONFIG><ALL up.backlight.idleIntensity="2"/></PHONE_CONFIG>');
  const big = path.join(dir, 'big.xml');
  fs.writeFileSync(big, `<PHONE_CONFIG a="${'x'.repeat(300 * 1024)}"/>`);
  const file = `${POLY}-phone.cfg`;

  const put = await curlProv(s, file, ['-A', POLY_UA, '-T', evil]);
  t.is(put.status, 401, 'inside the claim window, with the vendor User-Agent');
  const password = passwordIn((await bare(s, `${POLY}-sip.cfg`, POLY_UA)).body);
  t.is((await curlProv(s, file, ['-A', POLY_UA, '-T', big])).status, 401, 'too big and no credentials: 401 first');
  t.is((await digest(s, file, POLY_UA, POLY, password, ['-T', big], )).status, 413, 'too big with credentials: 413');
  t.deepEqual(await audit(s, 'device.override-uploaded'), []);
  const read = await digest(s, file, POLY_UA, POLY, password);
  t.is(read.status, 404, 'nothing was stored');

  t.is((await digest(s, file, POLY_UA, POLY, password, ['-T', good])).status, 204, 'curl --digest -T');
  const back = await digest(s, file, POLY_UA, POLY, password);
  t.is(back.body, fs.readFileSync(good, 'utf8'));
  const sip = await digest(s, `${POLY}-sip.cfg`, POLY_UA, POLY, password);
  t.false(sip.body.includes('evil.example'));
  const [event, ...more] = await audit(s, 'device.override-uploaded');
  t.is(more.length, 0);
  t.like(event, { target: `device:${POLY}`, details: { file, size: fs.statSync(good).size } });
});
