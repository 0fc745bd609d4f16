// Phone authentication against a real, independent HTTP client: curl's own
// Digest and Basic, plus Digest answers computed by a test helper written
// from RFC 7616 (stale nonces, replayed nonce-counts, MD5 and SHA-256). The
// claim window is kept shut (PROV_CLAIM_MINUTES=0) so only credentials count
// (API.md "Phone authentication").
import test, { type ExecutionContext } from 'ava';
import { digestAuthorization, digestChallenge, parseChallenges, type Algorithm } from '../helpers/digest-client.ts';
import { phoneCredentials, type PhoneCredentials } from '../helpers/phone.ts';
import { curl, curlFleet } from '../helpers/curl.ts';
import type { TestServer } from '../helpers/server.ts';

const YEA = '805ec0123456';
const POLY = '0004f2e765da';
const YEA_UA = `Yealink SIP-T46S 66.86.0.15 ${YEA.match(/../g)!.join(':')}`;
const POLY_UA = 'FileTransport PolycomVVX-VVX_450-UA/6.4.0.1 Type/Application';
const SECRET = 'Handset-Secret-1';
const YEA_FILE = `/prov/${YEA}.cfg`;

/** curl against a path of the server. */
const curlPath = (s: TestServer, file: string, args: string[]) => curl(s.url + file, args);

const digestCurl = (s: TestServer, file: string, c: PhoneCredentials, ua = YEA_UA) =>
  curlPath(s, file, ['--digest', '-u', `${c.user}:${c.password}`, '-A', ua]);
const withHeader = (s: TestServer, file: string, authorization: string) =>
  curlPath(s, file, ['-A', YEA_UA, '-H', `Authorization: ${authorization}`]);

const server = (t: ExecutionContext, env: Record<string, string> = {}, clock?: () => Date) =>
  curlFleet(t, SECRET, { PROV_CLAIM_MINUTES: '0', ...env }, clock);

const status = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json.status as string;

/** A fresh challenge of the given algorithm, from a request without credentials. */
async function challenge(t: ExecutionContext, s: TestServer, algorithm: Algorithm = 'SHA-256') {
  const r = await curlPath(s, YEA_FILE, ['-A', YEA_UA]);
  t.is(r.status, 401, 'the claim window is shut: no credentials, no file');
  const c = digestChallenge(r.challenges, algorithm);
  if (!c) throw new Error(`no ${algorithm} challenge in ${r.challenges.join(' | ')}`);
  return c;
}

test('the Digest helper reproduces the RFC 7616 §3.9.1 examples', (t) => {
  const base = {
    credentials: { user: 'Mufasa', password: 'Circle of Life' },
    method: 'GET',
    uri: '/dir/index.html',
    nc: 1,
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  };
  const params = { realm: 'http-auth@example.org', qop: 'auth, auth-int', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v' };
  const md5 = digestAuthorization({ ...base, challenge: { scheme: 'digest', params: { ...params, algorithm: 'MD5' } } });
  t.regex(md5, /response="8ca523f5e9506fed4657c9700eebdbec"/);
  const sha = digestAuthorization({ ...base, challenge: { scheme: 'digest', params: { ...params, algorithm: 'SHA-256' } } });
  t.regex(sha, /response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"/);
});

test('curl --digest fetches each phone its credential file, and the device then shows synced', async (t) => {
  const s = await server(t);
  for (const [mac, file, ua, secretLine] of [
    [YEA, YEA_FILE, YEA_UA, `account.1.password = ${SECRET}`],
    [POLY, `/prov/${POLY}-sip.cfg`, POLY_UA, `reg.1.auth.password="${SECRET}"`],
  ] as const) {
    const bare = await curlPath(s, file, ['-A', ua]);
    t.is(bare.status, 401, `${file} without credentials`);
    t.is(bare.body, '', 'a 401 has no body');
    t.is(await status(s, mac), 'never');

    const creds = await phoneCredentials(s, mac);
    t.is(creds.user, mac);
    const r = await digestCurl(s, file, creds, ua);
    t.is(r.status, 200, file);
    t.true(r.body.includes(secretLine), `${file} holds the line's secret`);
    t.true(r.body.includes(creds.password), `${file} holds the phone's own provisioning password`);
    t.is(await status(s, mac), 'synced');
  }
});

test('curl with a wrong password, another device\'s credentials or a non-MAC user gets 401', async (t) => {
  const s = await server(t);
  const yea = await phoneCredentials(s, YEA);
  const poly = await phoneCredentials(s, POLY);
  const attempts: [string, PhoneCredentials][] = [
    ['wrong password', { user: YEA, password: `${yea.password}x` }],
    ['another device (its own valid credentials)', poly],
    ["another device's MAC with this password", { user: POLY, password: yea.password }],
    ['a non-MAC user', { user: 'admin', password: yea.password }],
  ];
  for (const [why, creds] of attempts) {
    const r = await digestCurl(s, YEA_FILE, creds);
    t.is(r.status, 401, why);
    t.is(r.body, '', `${why}: no body`);
    t.truthy(digestChallenge(r.challenges, 'SHA-256'), `${why}: challenged again`);
  }
  t.is(await status(s, YEA), 'never', 'nothing was served');
  t.is((await digestCurl(s, YEA_FILE, yea)).status, 200, 'the right credentials still work');
});

test('curl --basic over plain HTTP is refused by default, and Basic is not offered', async (t) => {
  const s = await server(t);
  const creds = await phoneCredentials(s, YEA);
  const r = await curlPath(s, YEA_FILE, ['--basic', '-u', `${creds.user}:${creds.password}`, '-A', YEA_UA]);
  t.is(r.status, 401);
  t.is(r.body, '');
  const schemes = parseChallenges(r.challenges).map((c) => `${c.scheme} ${c.params.algorithm ?? ''}`.trim());
  t.deepEqual(schemes, ['digest SHA-256', 'digest MD5']);
  // Claiming to be behind TLS changes nothing: the server trusts no proxy headers by default.
  const forwarded = await curlPath(s, YEA_FILE, ['--basic', '-u', `${creds.user}:${creds.password}`, '-H', 'X-Forwarded-Proto: https']);
  t.is(forwarded.status, 401);
  t.is(await status(s, YEA), 'never');
});

test('with PROV_ALLOW_BASIC_OVER_HTTP=true, curl --basic over plain HTTP works', async (t) => {
  const s = await server(t, { PROV_ALLOW_BASIC_OVER_HTTP: 'true' });
  const creds = await phoneCredentials(s, YEA);
  const bare = await curlPath(s, YEA_FILE, ['-A', YEA_UA]);
  t.is(bare.status, 401);
  t.true(parseChallenges(bare.challenges).some((c) => c.scheme === 'basic' && c.params.realm), 'Basic is offered');
  const wrong = await curlPath(s, YEA_FILE, ['--basic', '-u', `${creds.user}:nope-nope-nope`, '-A', YEA_UA]);
  t.is(wrong.status, 401);
  const r = await curlPath(s, YEA_FILE, ['--basic', '-u', `${creds.user}:${creds.password}`, '-A', YEA_UA]);
  t.is(r.status, 200);
  t.true(r.body.includes(`account.1.password = ${SECRET}`));
  t.is(await status(s, YEA), 'synced');
});

test('an answer to an expired nonce is a 401 with stale=true, and the new nonce it brings works', async (t) => {
  let now = Date.parse('2030-05-01T08:00:00.000Z');
  const s = await server(t, { PROV_NONCE_SECONDS: '60' }, () => new Date(now));
  const creds = await phoneCredentials(s, YEA);
  const answer = (c: ReturnType<typeof digestChallenge> & {}, password = creds.password) =>
    digestAuthorization({ credentials: { ...creds, password }, method: 'GET', uri: YEA_FILE, challenge: c });

  // Still fresh just before PROV_NONCE_SECONDS.
  const young = await challenge(t, s);
  now += 59_000;
  t.is((await withHeader(s, YEA_FILE, answer(young))).status, 200, 'a 59 s old nonce is fresh');

  const old = await challenge(t, s);
  now += 61_000;
  const wrong = await withHeader(s, YEA_FILE, answer(old, 'not-the-password'));
  t.is(wrong.status, 401, 'wrong password on an expired nonce');
  t.false(parseChallenges(wrong.challenges).some((c) => c.params.stale !== undefined), 'no stale for a wrong password');

  const stale = await withHeader(s, YEA_FILE, answer(old));
  t.is(stale.status, 401, 'right password on an expired nonce');
  t.is(stale.body, '');
  const digests = parseChallenges(stale.challenges).filter((c) => c.scheme === 'digest');
  t.is(digests.length, 2);
  for (const c of digests) t.is(c.params.stale?.toLowerCase(), 'true', `${c.params.algorithm}: stale=true`);
  const fresh = digestChallenge(stale.challenges, 'SHA-256')!;
  t.not(fresh.params.nonce, old.params.nonce, 'a new nonce comes with stale=true');
  t.is((await withHeader(s, YEA_FILE, answer(fresh))).status, 200, 'the new nonce is accepted');
});

test('a replayed nonce-count is refused; a higher one on the same nonce is accepted', async (t) => {
  const s = await server(t);
  const creds = await phoneCredentials(s, YEA);
  const c = await challenge(t, s);
  const at = (nc: number) => digestAuthorization({ credentials: creds, method: 'GET', uri: YEA_FILE, challenge: c, nc });
  const first = at(1);
  t.is((await withHeader(s, YEA_FILE, first)).status, 200, 'nc=1');
  const replay = await withHeader(s, YEA_FILE, first);
  t.is(replay.status, 401, 'the same header again');
  t.is(replay.body, '');
  t.false(parseChallenges(replay.challenges).some((x) => x.params.stale !== undefined), 'a replay is not "stale"');
  t.is((await withHeader(s, YEA_FILE, at(2))).status, 200, 'nc=2');
  t.is((await withHeader(s, YEA_FILE, at(2))).status, 401, 'nc=2 again');
  t.is((await withHeader(s, YEA_FILE, at(1))).status, 401, 'nc going back');
  t.is((await withHeader(s, YEA_FILE, at(7))).status, 200, 'nc may skip ahead');
});

test('Digest answers with MD5 and with SHA-256 both succeed; one signed for another file does not', async (t) => {
  const s = await server(t);
  const creds = await phoneCredentials(s, YEA);
  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    const c = await challenge(t, s, algorithm);
    t.is(c.params.realm, 'provisioning');
    t.is(c.params.qop, 'auth');
    const ok = await withHeader(s, YEA_FILE, digestAuthorization({ credentials: creds, method: 'GET', uri: YEA_FILE, challenge: c }));
    t.is(ok.status, 200, algorithm);
    t.true(ok.body.includes(`account.1.password = ${SECRET}`), algorithm);
    // Signed for the boot file, sent for the credential file.
    const c2 = await challenge(t, s, algorithm);
    const elsewhere = digestAuthorization({ credentials: creds, method: 'GET', uri: `/prov/${YEA}.boot`, challenge: c2 });
    t.is((await withHeader(s, YEA_FILE, elsewhere)).status, 401, `${algorithm}: uri mismatch`);
  }
});

test('unique nonces: two phones challenged in the same millisecond both get in with nc=1', async (t) => {
  // A frozen clock stands for a boot storm, where many phones are challenged within one millisecond.
  const frozen = new Date('2030-05-01T08:00:00.000Z');
  const s = await server(t, {}, () => frozen);
  const phones = [
    { creds: await phoneCredentials(s, YEA), file: YEA_FILE, ua: YEA_UA },
    { creds: await phoneCredentials(s, POLY), file: `/prov/${POLY}-sip.cfg`, ua: POLY_UA },
  ];
  const challenged = [];
  for (const p of phones) {
    const r = await curlPath(s, p.file, ['-A', p.ua]);
    t.is(r.status, 401);
    challenged.push({ ...p, challenge: digestChallenge(r.challenges, 'SHA-256')! });
  }
  t.not(challenged[0]!.challenge.params.nonce, challenged[1]!.challenge.params.nonce, 'RFC 7616: a nonce is unique per challenge');
  for (const p of challenged) {
    const authorization = digestAuthorization({ credentials: p.creds, method: 'GET', uri: p.file, challenge: p.challenge });
    const r = await curlPath(s, p.file, ['-A', p.ua, '-H', `Authorization: ${authorization}`]);
    t.is(r.status, 200, `${p.creds.user} answering its own challenge with nc=1`);
  }
});
