// Console accounts over real HTTP: the setup page's one-time first admin,
// sign-in and its cookie, idle and absolute session ends, sign-out, the
// origin check on cookie changes, failed sign-ins in the scan guard, users
// managed by admins only, and audit events that name the person.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startProcess } from '../helpers/process.ts';
import { extensionBody, tempDir, type TestServer } from '../helpers/server.ts';
import { consoleServer, cookieOf, send, setUp, signIn } from './session-client.ts';

const PASSWORD = 'correct horse battery';

test('setup: / leads to setup, the code is the admin token, the token file goes, setup happens once', async (t) => {
  const s = await consoleServer(t);
  const tokenFile = path.join(s.dataDir, 'admin-token');
  t.true(fs.existsSync(tokenFile));
  t.is((await send(s, 'GET', '/')).headers.get('location'), '/setup');
  t.is((await send(s, 'GET', '/sign-in')).headers.get('location'), '/setup');
  const page = await send(s, 'GET', '/setup');
  t.is(page.status, 200);
  t.regex(page.headers.get('content-security-policy')!, /script-src 'self'/);
  t.regex(page.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
  t.notRegex(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');

  const wrong = await send(s, 'POST', '/api/setup', { setupCode: 'prov_not-the-token', username: 'alice', password: PASSWORD }, { origin: s.url });
  t.is(wrong.status, 401);
  t.is(wrong.json.error.code, 'bad-setup-code');
  const short = await send(s, 'POST', '/api/setup', { setupCode: s.adminToken, username: 'alice', password: 'short' }, { origin: s.url });
  t.is(short.status, 422);
  t.is(short.json.error.code, 'invalid-password');
  t.true(fs.existsSync(tokenFile), 'nothing changed yet');

  const done = await send(s, 'POST', '/api/setup', { setupCode: s.adminToken, username: 'alice', password: PASSWORD }, { origin: s.url });
  t.is(done.status, 201);
  t.deepEqual({ username: done.json.username, role: done.json.role }, { username: 'alice', role: 'admin' });
  t.false('passwordHash' in done.json);
  const setCookie = done.headers.get('set-cookie')!;
  t.regex(setCookie, /prov_session=[A-Za-z0-9_-]{43};/);
  t.regex(setCookie, /httponly/i);
  t.regex(setCookie, /samesite=strict/i);
  t.notRegex(setCookie, /secure/i, 'Secure only over HTTPS');
  t.false(fs.existsSync(tokenFile), 'the admin-token file is deleted');
  // The bootstrap token stays a valid API token (documented): scripts keep working.
  t.is((await s.api('GET', '/api/extensions')).status, 200);

  const again = await send(s, 'POST', '/api/setup', { setupCode: s.adminToken, username: 'mallory', password: PASSWORD }, { origin: s.url });
  t.is(again.status, 409);
  t.is(again.json.error.code, 'setup-done');
  t.is((await send(s, 'GET', '/setup')).headers.get('location'), '/sign-in');
  const cookie = cookieOf(done.headers);
  t.is((await send(s, 'GET', '/', undefined, { cookie: `prov_session=${cookie}` })).headers.get('location'), '/extensions');
  const me = await send(s, 'GET', '/api/session', undefined, { cookie: `prov_session=${cookie}` });
  t.deepEqual(me.json, { actor: 'user:alice', username: 'alice', role: 'admin' });
});

test('sign-in, the cookie on the API, audit names the person, sign-out ends the session', async (t) => {
  const s = await consoleServer(t);
  await setUp(s);
  const bad = await send(s, 'POST', '/api/session', { username: 'alice', password: 'wrong password!' }, { origin: s.url });
  t.is(bad.status, 401);
  t.is(bad.headers.get('set-cookie'), null);
  const nobody = await send(s, 'POST', '/api/session', { username: 'nobody', password: PASSWORD }, { origin: s.url });
  t.is(nobody.status, 401);
  t.is(nobody.json.error.message, bad.json.error.message, 'an unknown user and a wrong password look the same');

  const alice = await signIn(s, 'alice', PASSWORD);
  t.is((await alice.call('POST', '/api/extensions', extensionBody('1001'))).status, 201);
  t.is((await alice.call('GET', '/api/extensions/1001/secret')).status, 200);
  const audit = (await s.api('GET', '/api/audit?target=1001')).json;
  t.deepEqual(audit.map((e: any) => [e.actor, e.action]), [['user:alice', 'secret.revealed'], ['user:alice', 'extension.created']]);
  t.is((await alice.call('GET', '/api/extensions/1001/secret?purpose=copy')).status, 200);
  t.like((await s.api('GET', '/api/audit?action=secret.revealed&limit=1')).json[0], { actor: 'user:alice', details: { via: 'copy' } });

  t.is((await alice.call('DELETE', '/api/session')).status, 204);
  const after = await alice.call('GET', '/api/extensions');
  t.is(after.status, 401);
  t.is(after.json.error.code, 'session-expired');
  t.deepEqual((await s.api('GET', '/api/audit?action=session.ended')).json.map((e: any) => e.actor), ['user:alice']);
});

test('a session ends after 30 idle minutes and after 12 hours whatever the activity', async (t) => {
  let now = Date.parse('2024-05-01T08:00:00Z');
  const s = await consoleServer(t, { clock: () => new Date(now) });
  const alice = await setUp(s);
  const minutes = (m: number) => (now += m * 60_000);
  minutes(29);
  t.is((await alice.call('GET', '/api/extensions')).status, 200, 'still within the idle limit');
  minutes(29);
  t.is((await alice.call('GET', '/api/extensions')).status, 200, 'the last request reset the idle clock');
  minutes(31);
  t.is((await alice.call('GET', '/api/extensions')).status, 401, 'idle too long');

  const bob = await signIn(s, 'alice', PASSWORD);
  for (let i = 0; i < 12 * 3; i++) {
    minutes(20);
    if (i < 12 * 3 - 1) t.is((await bob.call('GET', '/api/extensions')).status, 200);
  }
  t.is((await bob.call('GET', '/api/extensions')).status, 401, 'past 12 hours');
});

test('a state-changing cookie request from another site is refused; reads and tokens are not affected', async (t) => {
  const s = await consoleServer(t);
  const alice = await setUp(s);
  const body = extensionBody('1001');
  const attempts: Record<string, string>[] = [
    { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example' },
    { origin: s.url, 'sec-fetch-site': 'same-site' },
    { origin: '', 'sec-fetch-site': '' },
  ];
  for (const headers of attempts) {
    const r = await alice.call('POST', '/api/extensions', body, headers);
    t.is(r.status, 403, JSON.stringify(headers));
    t.is(r.json.error.code, 'cross-site-request');
  }
  t.is((await s.api('GET', '/api/extensions')).json.length, 0, 'nothing was created');
  t.is((await alice.call('GET', '/api/extensions', undefined, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status, 200);
  t.is((await s.api('POST', '/api/extensions', { body, headers: { origin: 'https://evil.example' } })).status, 201, 'a bearer token is not a cookie');
});

test('failed sign-ins count in the scan guard: past the threshold even the right password waits', async (t) => {
  const s = await consoleServer(t, { env: { PROV_SCAN_THRESHOLD: '3' } });
  await setUp(s);
  for (let i = 0; i < 3; i++) {
    t.is((await send(s, 'POST', '/api/session', { username: 'alice', password: `wrong-${i}-password` }, { origin: s.url })).status, 401);
  }
  const r = await send(s, 'POST', '/api/session', { username: 'alice', password: PASSWORD }, { origin: s.url });
  t.is(r.status, 429);
  t.is(r.headers.get('set-cookie'), null);
  t.true(s.logs.some((l) => l.includes('"reason":"bad-password"')), 'the block names failed sign-ins');
});

test('users: admins manage them, viewers read but change nothing, the last admin stays', async (t) => {
  const s = await consoleServer(t);
  const alice = await setUp(s);
  const made = await alice.call('POST', '/api/users', { username: 'victor', role: 'viewer', password: 'viewer password 1' });
  t.is(made.status, 201);
  t.false(JSON.stringify(made.json).includes('viewer password 1'));
  t.is((await alice.call('POST', '/api/users', { username: 'victor', role: 'admin', password: 'another password' })).status, 409);
  const listed = await alice.call('GET', '/api/users');
  t.deepEqual(listed.json.map((u: any) => [u.username, u.role]), [['alice', 'admin'], ['victor', 'viewer']]);
  t.false(listed.text.includes('scrypt'), 'no hash leaves the server');

  const victor = await signIn(s, 'victor', 'viewer password 1');
  t.is((await victor.call('GET', '/api/extensions')).status, 200);
  t.is((await victor.call('POST', '/api/extensions', extensionBody('1001'))).status, 403);
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001') })).status, 201);
  t.is((await victor.call('GET', '/api/extensions/1001/secret')).status, 403);
  t.is((await victor.call('GET', '/api/users')).status, 403);
  t.is((await send(s, 'GET', '/users', undefined, { cookie: `prov_session=${victor.cookie}` })).status, 403);

  t.is((await alice.call('PATCH', '/api/users/alice', { role: 'viewer' })).json?.error?.code, 'last-admin-user');
  t.is((await alice.call('DELETE', '/api/users/alice')).json?.error?.code, 'last-admin-user');
  t.is((await alice.call('PATCH', '/api/users/victor', { password: 'a new password 2' })).status, 200);
  t.is((await victor.call('GET', '/api/extensions')).status, 401, 'a password change signs the user out');
  t.is((await alice.call('DELETE', '/api/users/victor')).status, 204);
  const actions = (await s.api('GET', '/api/audit?target=victor')).json.map((e: any) => `${e.actor} ${e.action}`);
  t.deepEqual(actions, ['user:alice user.deleted', 'user:alice user.updated', 'user:victor session.created', 'user:alice user.created']);
});

test('after setup no admin-token file comes back, and the last admin token may go while a console admin exists', async (t) => {
  // Two process starts on a shared machine.
  t.timeout(180_000);
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let server = await startProcess({ PROV_DATA_DIR: dataDir }, 90_000);
  t.teardown(() => server.stop());
  const tokenFile = path.join(dataDir, 'admin-token');
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  const s = { url: server.url, adminToken: token } as TestServer;
  const alice = await setUp(s);
  t.false(fs.existsSync(tokenFile));
  const tokens = (await alice.call('GET', '/api/tokens')).json;
  t.deepEqual(tokens.map((x: any) => x.name), ['initial-admin']);
  t.is((await alice.call('DELETE', `/api/tokens/${tokens[0].id}`)).status, 204, 'a console admin is a way in');
  const gone = await fetch(`${server.url}/api/extensions`, { headers: { authorization: `Bearer ${token}` } });
  t.is(gone.status, 401);
  await server.stop();
  server = await startProcess({ PROV_DATA_DIR: dataDir }, 90_000);
  t.false(fs.existsSync(tokenFile), 'no new token file: the console is the way in');
  const again = await signIn({ ...s, url: server.url } as TestServer, 'alice', PASSWORD);
  t.is((await again.call('GET', '/api/session')).json.username, 'alice');
});

test('sign-in needs no browser headers, but another site cannot sign anyone in', async (t) => {
  const s = await consoleServer(t);
  await setUp(s);
  const plain = await send(s, 'POST', '/api/session', { username: 'alice', password: PASSWORD });
  t.is(plain.status, 201, 'a script may sign in');
  const forged = await send(s, 'POST', '/api/session', { username: 'alice', password: PASSWORD }, { origin: 'https://evil.example' });
  t.is(forged.status, 403);
  t.is(forged.headers.get('set-cookie'), null);
  const cookie = cookieOf(plain.headers);
  const noHeaders = await send(s, 'POST', '/api/extensions', extensionBody('1001'), { cookie: `prov_session=${cookie}` });
  t.is(noHeaders.status, 403, 'a cookie change without Origin or Sec-Fetch-Site is refused');
});
