// The registrar credential feed over real HTTP: who may read it, what it
// answers (HA1 values computed here independently, never the secret), and
// how a rotation shows in it and on the extension.
import { createHash } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const MAC = '805ec0a1b2c9';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c9';

async function server(t: ExecutionContext, options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  t.teardown(() => s.close());
  return s;
}

/** A pbx token serves the realm the test extensions register in (extensionBody's pbx.example.com). */
async function token(s: TestServer, role: 'admin' | 'viewer' | 'pbx', realms = ['pbx.example.com']): Promise<string> {
  const r = await s.api('POST', '/api/tokens', { body: { name: `a ${role}`, role, ...(role === 'pbx' ? { realms } : {}) } });
  if (r.status !== 201) throw new Error(`token: ${r.status} ${r.text}`);
  return r.json.token;
}

const feed = (s: TestServer, user: string, realm: string | null, bearer: string | null) =>
  s.api('GET', `/pbx/v1/credentials/${encodeURIComponent(user)}${realm === null ? '' : `?realm=${encodeURIComponent(realm)}`}`, { token: bearer });

const secretOf = async (s: TestServer, number: string) => (await s.api('GET', `/api/extensions/${number}/secret`)).json.secret as string;

test('the feed answers the HA1 values of the current secret, never the secret, and is not cached', async (t) => {
  const s = await server(t);
  const pbx = await token(s, 'pbx');
  await s.api('POST', '/api/extensions', { body: extensionBody('1001', { authUsername: 'desk-1001', secret: 'Feed-Secret-1' }) });
  const r = await feed(s, 'desk-1001', 'pbx.example.com', pbx);
  t.is(r.status, 200);
  t.is(r.headers.get('cache-control'), 'no-store');
  t.deepEqual(r.json, {
    authUsername: 'desk-1001',
    realm: 'pbx.example.com',
    extension: '1001',
    current: {
      secretVersion: 1,
      ha1: md5('desk-1001:pbx.example.com:Feed-Secret-1'),
      ha1Sha256: sha256('desk-1001:pbx.example.com:Feed-Secret-1'),
    },
    previous: null,
  });
  t.false(r.text.includes('Feed-Secret-1'));
  // A registrar that names its realm after the domain: the extension lists it, the token serves it.
  await s.api('PATCH', '/api/extensions/1001', { body: { realms: ['example.com'] } });
  const domain = await feed(s, 'desk-1001', 'example.com', await token(s, 'pbx', ['example.com']));
  t.is(domain.json.current.ha1, md5('desk-1001:example.com:Feed-Secret-1'), 'the realm asked for is the realm hashed');
  // Every lookup is logged and counted, without HA1 values or the secret.
  const lines = s.logs.filter((l) => l.includes('registrar feed lookup'));
  t.is(lines.length, 2);
  for (const line of lines) {
    t.false(line.includes('Feed-Secret-1'));
    t.false(line.includes(r.json.current.ha1));
    t.false(line.includes(r.json.current.ha1Sha256));
    t.false(line.includes(pbx));
  }
  t.is((await s.api('GET', '/api/pbx/lookups')).json.found, 2);
});

test('only pbx tokens read the feed, and pbx tokens read nothing else', async (t) => {
  const s = await server(t);
  const [pbx, viewer] = [await token(s, 'pbx'), await token(s, 'viewer')];
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await feed(s, '1001', 'pbx.example.com', null)).status, 401, 'no token');
  t.is((await feed(s, '1001', 'pbx.example.com', 'prov_not-a-token')).status, 401, 'a wrong token');
  t.is((await feed(s, '1001', 'pbx.example.com', s.adminToken)).status, 403, 'an admin token');
  t.is((await feed(s, '1001', 'pbx.example.com', viewer)).status, 403, 'a viewer token');
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).status, 200);
  for (const [method, path] of [['GET', '/api/extensions'], ['GET', '/api/extensions/1001'], ['GET', '/api/nowhere'], ['POST', '/api/extensions']]) {
    const r = await s.api(method!, path!, { token: pbx, body: method === 'POST' ? extensionBody('1002') : undefined });
    t.is(r.status, 403, `${method} ${path} with a pbx token`);
  }
  t.is((await s.api('GET', '/api/extensions/1002')).status, 404, 'the refused POST changed nothing');
  const listed = (await s.api('GET', '/api/tokens')).json as { role: string; name: string }[];
  t.true(listed.some((x) => x.role === 'pbx'), 'pbx tokens are listed');
  const audit = (await s.api('GET', '/api/audit?action=token.created')).json as { details: { role: string } }[];
  t.true(audit.some((e) => e.details.role === 'pbx'), 'their creation is audited');
  const id = listed.find((x) => x.role === 'pbx') as unknown as { id: string };
  t.is((await s.api('DELETE', `/api/tokens/${id.id}`)).status, 204);
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).status, 401, 'a revoked pbx token is refused');
});

test('an unknown auth user is a 404 like any other, and a missing realm a 400', async (t) => {
  const s = await server(t);
  const pbx = await token(s, 'pbx');
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  for (const user of ['1002', 'nobody', 'a'.repeat(80), 'bad user']) {
    const r = await feed(s, user, 'pbx.example.com', pbx);
    t.is(r.status, 404, user);
    t.is(r.headers.get('cache-control'), 'no-store');
  }
  t.is((await feed(s, '1001', null, pbx)).status, 400);
  t.is((await feed(s, '1001', 'with"quote', pbx)).status, 400);
  t.is((await s.api('GET', '/pbx/v1/credentials/1001?realm=a&realm=b', { token: pbx })).status, 400);
});

test('two extensions sharing an auth user are told apart by realm, or refused', async (t) => {
  const s = await server(t);
  const pbx = await token(s, 'pbx', ['a.example.com', 'b.example.com', 'c.example.com']);
  await s.api('POST', '/api/extensions', { body: { number: '1001', authUsername: 'shared', server: { host: 'a.example.com' } } });
  await s.api('POST', '/api/extensions', { body: { number: '2001', authUsername: 'shared', server: { host: 'b.example.com' } } });
  t.is((await feed(s, 'shared', 'b.example.com', pbx)).json.extension, '2001');
  t.is((await feed(s, 'shared', 'a.example.com', pbx)).json.extension, '1001');
  t.is((await feed(s, 'shared', 'c.example.com', pbx)).status, 404, 'neither registers there');
  // Both name c.example.com as a realm of theirs: the feed cannot tell them apart.
  for (const n of ['1001', '2001']) await s.api('PATCH', `/api/extensions/${n}`, { body: { realms: ['c.example.com'] } });
  const r = await feed(s, 'shared', 'c.example.com', pbx);
  t.is(r.status, 409);
  t.is(r.json.error.code, 'ambiguous-auth-username');
});

test('a pbx token opens only its own realms, and only the realms an extension registers in; both otherwise a 404 like an unknown user', async (t) => {
  const s = await server(t);
  await s.api('POST', '/api/extensions', { body: { number: '1001', secret: 'Realm-Secret-1', server: { host: 'pbx-a.example.com' } } });
  await s.api('POST', '/api/extensions', { body: { number: '2001', secret: 'Realm-Secret-2', server: { host: 'pbx-b.example.com' } } });
  const a = await token(s, 'pbx', ['pbx-a.example.com']);
  t.is((await feed(s, '1001', 'pbx-a.example.com', a)).status, 200);
  t.is((await feed(s, '1001', 'PBX-A.example.com', a)).status, 200, 'a realm compares without case');
  const other = await feed(s, '2001', 'pbx-b.example.com', a);
  t.deepEqual([other.status, other.json.error.code], [404, 'not-found'], "another registrar's realm");
  t.is((await feed(s, '1001', 'pbx-b.example.com', await token(s, 'pbx', ['pbx-b.example.com']))).status, 404, 'a realm the extension does not register in');
  const unknown = await feed(s, 'nobody', 'pbx-a.example.com', a);
  t.deepEqual([unknown.status, unknown.json], [other.status, other.json], 'the same answer as an unknown user');
  // Realms are required of a pbx token, and only of one.
  const missing = await s.api('POST', '/api/tokens', { body: { name: 'x', role: 'pbx' } });
  t.deepEqual([missing.status, missing.json.error.code], [422, 'realms-required']);
  const extra = await s.api('POST', '/api/tokens', { body: { name: 'x', role: 'viewer', realms: ['a'] } });
  t.deepEqual([extra.status, extra.json.error.code], [422, 'realms-not-allowed']);
  const listed = (await s.api('GET', '/api/tokens')).json as { role: string; realms?: string[] }[];
  t.deepEqual(listed.filter((x) => x.role === 'pbx').map((x) => x.realms), [['pbx-a.example.com'], ['pbx-b.example.com']]);
});

test('PROV_PBX_NETWORKS refuses the feed from elsewhere, even with a pbx token', async (t) => {
  const away = await server(t, { env: { PROV_PBX_NETWORKS: '10.0.0.0/8, fd00::/8' } });
  const near = await server(t, { env: { PROV_PBX_NETWORKS: '10.0.0.0/8,127.0.0.0/8' } });
  for (const s of [away, near]) await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await feed(away, '1001', 'pbx.example.com', await token(away, 'pbx'))).status, 403);
  t.is((await feed(near, '1001', 'pbx.example.com', await token(near, 'pbx'))).status, 200);
});

test('a rotation keeps the previous HA1 until the phone fetched the new config; revokePrevious drops it at once', async (t) => {
  const s = await server(t);
  const pbx = await token(s, 'pbx');
  await s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'Old-Secret-1' }) });
  await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } });
  t.is((await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA } })).status, 200);

  const changed = await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'New-Secret-2' } });
  t.is(changed.status, 200);
  t.deepEqual(changed.json.rotation.waitingFor, { macs: [MAC], links: [], contacts: [] });
  const during = (await feed(s, '1001', 'pbx.example.com', pbx)).json;
  t.is(during.current.ha1, md5('1001:pbx.example.com:New-Secret-2'));
  t.is(during.previous.ha1, md5('1001:pbx.example.com:Old-Secret-1'));
  t.is(during.previous.ha1Sha256, sha256('1001:pbx.example.com:Old-Secret-1'));
  t.is(during.previous.secretVersion, 1);
  const until = Date.parse(during.previous.acceptedUntil) - Date.now();
  t.true(until > 1439 * 60_000 && until <= 1440 * 60_000, 'the grace is PROV_ROTATION_GRACE_MINUTES (1440)');
  const ext = (await s.api('GET', '/api/extensions/1001')).json;
  t.is(ext.rotation.previousAcceptedUntil, during.previous.acceptedUntil);
  t.false(JSON.stringify(ext).includes('Sealed'), 'no sealed secret in the answer');

  await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Newer-Secret-3', revokePrevious: true } });
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous, null, 'revoked at once');
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation, { previousAcceptedUntil: null, waitingFor: { macs: [], links: [], contacts: [] } });
  const audit = (await s.api('GET', '/api/audit?action=secret.changed')).json as { details: Record<string, unknown> }[];
  t.deepEqual(audit.map((e) => e.details.previous), ['revoked', 'kept']);
  t.is(await secretOf(s, '1001'), 'Newer-Secret-3');
});

test('a softphone link that handed out the old secret holds the rotation until it downloads again or expires; the grace ends it anyway', async (t) => {
  let now = Date.parse('2030-01-01T10:00:00.000Z');
  const s = await server(t, { clock: () => new Date(now), env: { PROV_ROTATION_GRACE_MINUTES: '120' } });
  const pbx = await token(s, 'pbx');
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  // The landing page's button: a POST hands out the file with the current secret.
  const download = (url: string) => fetch(url.replace(/^https?:\/\/[^/]+/, s.url), { method: 'POST' });
  const link = (await s.api('POST', '/api/links', { body: { extension: '1001', app: 'microsip', maxUses: 3, expiresInMinutes: 60 } })).json;
  t.is((await download(link.url)).status, 200);
  await s.api('POST', '/api/extensions/1001/secret/generate', { body: {} });
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation.waitingFor, { macs: [], links: [link.id], contacts: [] });
  t.truthy((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous);
  // A second download carries the new secret: the link is synced.
  t.is((await download(link.url)).status, 200);
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous, null);

  await s.api('POST', '/api/extensions/1001/secret/generate');
  t.truthy((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous, 'waits for the link again');
  now += 61 * 60_000;
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous, null, 'an expired link waits for nothing');

  const link2 = (await s.api('POST', '/api/links', { body: { extension: '1001', app: 'microsip', expiresInMinutes: 43_200 } })).json;
  t.is((await download(link2.url)).status, 200);
  await s.api('POST', '/api/extensions/1001/secret/generate');
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation.waitingFor.links, [link2.id]);
  now += 119 * 60_000;
  t.truthy((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous);
  now += 2 * 60_000;
  t.is((await feed(s, '1001', 'pbx.example.com', pbx)).json.previous, null, 'the grace has passed');
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.rotation.previousAcceptedUntil, null);
});

test('a rotation state written by one instance is what another instance answers', async (t) => {
  const a = await server(t);
  const b = await server(t, { dataDir: a.dataDir, env: { PROV_ADMIN_TOKEN: 'b'.repeat(32) } });
  const pbx = await token(a, 'pbx');
  await a.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await a.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } });
  t.is((await fetch(`${b.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA } })).status, 200);
  await a.api('POST', '/api/extensions/1001/secret/generate');
  t.truthy((await feed(b, '1001', 'pbx.example.com', pbx)).json.previous);
  const login = (await a.api('GET', `/api/devices/${MAC}/credentials`)).json;
  const { fetchWithDigest } = await import('../helpers/digest-client.ts');
  t.is((await fetchWithDigest(`${b.url}/prov/${MAC}.cfg`, login, { headers: { 'user-agent': UA } })).status, 200);
  t.is((await feed(a, '1001', 'pbx.example.com', pbx)).json.previous, null, 'a fetch at one instance ends it at the other');
});
