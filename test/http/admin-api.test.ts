// Every admin endpoint over real HTTP: success paths, each error code of
// API.md, and for each refused write the proof that nothing changed.
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, type ApiResponse, type TestServer } from '../helpers/server.ts';

async function server(t: ExecutionContext): Promise<TestServer> {
  const s = await startServer();
  t.teardown(s.close);
  return s;
}

function expect(t: ExecutionContext, r: ApiResponse, status: number, code?: string): ApiResponse {
  t.is(r.status, status, `${status} expected: ${r.text}`);
  if (status >= 400) {
    t.regex(r.json?.error?.code ?? '', /^[a-z0-9]+(-[a-z0-9]+)*$/, `kebab error code: ${r.text}`);
    t.is(typeof r.json?.error?.message, 'string');
    if (code) t.is(r.json.error.code, code);
  }
  return r;
}

const ext = async (s: TestServer, number: string, extra: Record<string, unknown> = {}) =>
  (await s.api('POST', '/api/extensions', { body: extensionBody(number, extra) })).json;
const dev = async (s: TestServer, mac: string, lines: string[], vendor = 'yealink') =>
  (await s.api('POST', '/api/devices', { body: { mac, vendor, lines: lines.map((extension) => ({ extension })) } })).json;
const reveal = async (s: TestServer, number: string) => (await s.api('GET', `/api/extensions/${number}/secret`)).json;
const audit = async (s: TestServer, query = '') => (await s.api('GET', `/api/audit?limit=1000${query}`)).json as any[];

/** Everything the API can show, to prove a refused write changed nothing. */
async function state(s: TestServer) {
  const paths = ['/api/extensions', '/api/devices', '/api/tokens', '/api/audit?limit=1000'];
  const all = await Promise.all(paths.map((p) => s.api('GET', p)));
  const exts = all[0]!.json as { number: string }[];
  const details = await Promise.all(exts.map((e) => s.api('GET', `/api/extensions/${e.number}`)));
  return [...all, ...details].map((r) => r.json);
}

async function refused(t: ExecutionContext, s: TestServer, r: () => Promise<ApiResponse>, status: number, code?: string) {
  const before = await state(s);
  const res = expect(t, await r(), status, code);
  t.deepEqual(await state(s), before, 'a refused request changed nothing');
  return res;
}

test('extensions: create with a generated secret, list and get without it', async (t) => {
  const s = await server(t);
  const created = expect(t, await s.api('POST', '/api/extensions', { body: extensionBody('1001') }), 201).json;
  t.like(created, { number: '1001', server: { host: 'pbx.example.com', port: 5060, transport: 'udp' } });
  t.false('secret' in created);
  const { secret, version } = await reveal(s, '1001');
  t.regex(secret, /^[A-Za-z0-9]{20,}$/);
  t.is(version, 1);
  const list = expect(t, await s.api('GET', '/api/extensions'), 200);
  const one = expect(t, await s.api('GET', '/api/extensions/1001'), 200);
  t.deepEqual(list.json.map((e: any) => e.number), ['1001']);
  t.deepEqual(one.json.devices, []);
  for (const r of [list, one]) t.false(r.text.includes(secret), 'no secret in listings');
  t.false(JSON.stringify(await audit(s)).includes(secret));
  await ext(s, '1002');
  t.not((await reveal(s, '1002')).secret, secret, 'each extension gets its own secret');
});

test('extensions: default ports per transport, explicit port kept', async (t) => {
  const s = await server(t);
  const port = async (n: string, server: Record<string, unknown>) =>
    (await ext(s, n, { server: { host: 'pbx.example.com', ...server } })).server.port;
  t.is(await port('1', { transport: 'udp' }), 5060);
  t.is(await port('2', { transport: 'tcp' }), 5060);
  t.is(await port('3', { transport: 'tls' }), 5061);
  t.is(await port('4', { transport: 'tls', port: 5071 }), 5071);
  t.is((await s.api('GET', '/api/extensions/3')).json.server.port, 5061);
});

test('extensions: PATCH changes fields, a transport change moves a default port only', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  await ext(s, '1002', { server: { host: 'pbx.example.com', port: 5080 } });
  const p = (n: string, body: unknown) => s.api('PATCH', `/api/extensions/${n}`, { body });
  t.like(expect(t, await p('1001', { displayName: 'Reception', label: 'front desk' }), 200).json, {
    displayName: 'Reception',
    label: 'front desk',
  });
  t.like(expect(t, await p('1001', { server: { transport: 'tls' } }), 200).json.server, { port: 5061, transport: 'tls' });
  t.like((await p('1001', { server: { transport: 'tcp' } })).json.server, { port: 5060, transport: 'tcp' });
  t.like((await p('1002', { server: { transport: 'tls' } })).json.server, { port: 5080, transport: 'tls' });
  t.like((await p('1002', { server: { transport: 'udp', port: 5090 } })).json.server, { port: 5090 });
  t.like((await s.api('GET', '/api/extensions/1001')).json, { displayName: 'Reception', server: { port: 5060 } });
  t.is((await reveal(s, '1001')).version, 1, 'no secret change');
  t.true((await audit(s, '&action=extension.updated')).length >= 4);
  await refused(t, s, () => p('9999', { label: 'x' }), 404);
});

test('extensions: PATCH with a secret is 422 and changes nothing', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'original-secret-1' });
  await refused(t, s, () => s.api('PATCH', '/api/extensions/1001', { body: { secret: 'patched-secret-1' } }), 422);
  await refused(t, s, () => s.api('PATCH', '/api/extensions/1001', { body: { label: 'x', secret: 'patched-secret-1' } }), 422);
  t.deepEqual(await reveal(s, '1001'), { secret: 'original-secret-1', version: 1 });
});

test('extensions: duplicate number is 409 extension-exists and keeps the first', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'first-secret-1', label: 'first' });
  const again = () => s.api('POST', '/api/extensions', { body: extensionBody('1001', { secret: 'second-secret', label: 'second' }) });
  await refused(t, s, again, 409, 'extension-exists');
  t.deepEqual(await reveal(s, '1001'), { secret: 'first-secret-1', version: 1 });
  t.is((await s.api('GET', '/api/extensions/1001')).json.label, 'first');
});

test('extensions: DELETE, 409 extension-in-use while a device uses it, 404 unknown', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  await ext(s, '1002');
  await dev(s, '805ec0000001', ['1002', '1001']);
  await refused(t, s, () => s.api('DELETE', '/api/extensions/1001'), 409, 'extension-in-use');
  t.is((await s.api('GET', '/api/extensions/1001')).status, 200);
  expect(t, await s.api('PATCH', '/api/devices/805ec0000001', { body: { lines: [{ extension: '1002' }] } }), 200);
  expect(t, await s.api('DELETE', '/api/extensions/1001'), 204);
  expect(t, await s.api('GET', '/api/extensions/1001'), 404);
  t.is((await audit(s, '&action=extension.deleted')).length, 1);
  await refused(t, s, () => s.api('DELETE', '/api/extensions/1001'), 404);
  await refused(t, s, () => s.api('GET', '/api/extensions/1001/secret'), 404);
  await refused(t, s, () => s.api('POST', '/api/extensions/nope/secret/generate'), 404);
});

test('secrets: reveal, set and generate answer versions and every device on the extension', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'initial-secret-1' });
  await ext(s, '1002');
  await dev(s, '805ec0000001', ['1001']);
  await dev(s, '805ec0000002', ['1002', '1001'], 'polycom');
  await dev(s, '805ec0000003', ['1002']);
  t.deepEqual(await reveal(s, '1001'), { secret: 'initial-secret-1', version: 1 });
  const set = expect(t, await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Chosen pass 2!' } }), 200);
  t.is(set.json.version, 2);
  t.deepEqual(set.json.devices.map((d: any) => d.mac).sort(), ['805ec0000001', '805ec0000002']);
  for (const d of set.json.devices) t.true(['never', 'pending', 'synced'].includes(d.status), d.status);
  t.deepEqual(await reveal(s, '1001'), { secret: 'Chosen pass 2!', version: 2 });
  const gen = expect(t, await s.api('POST', '/api/extensions/1001/secret/generate'), 200);
  t.is(gen.json.version, 3);
  t.is(gen.json.devices.length, 2);
  const now = await reveal(s, '1001');
  t.is(now.version, 3);
  t.regex(now.secret, /^[A-Za-z0-9]{20,}$/);
  t.is((await s.api('GET', '/api/extensions/1001')).json.secretVersion, 3);
  t.is((await reveal(s, '1002')).version, 1, 'the other extension is untouched');
  await refused(t, s, () => s.api('POST', '/api/extensions/1003/secret/generate'), 404);
  await refused(t, s, () => s.api('PUT', '/api/extensions/1003/secret', { body: { secret: 'valid-secret-1' } }), 404);
  await ext(s, '1003');
  t.deepEqual((await s.api('POST', '/api/extensions/1003/secret/generate')).json.devices, []);
});

test('secrets: PUT accepts the 8 and 64 character bounds and refuses every broken rule with invalid-secret', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'initial-secret-1' });
  const put = (secret: unknown) => () => s.api('PUT', '/api/extensions/1001/secret', { body: { secret } });
  const bad = ['short12', 'x'.repeat(65), ' leading-space', 'trailing-space ', 'pässwörter', 'tab\there1', 'new\nline1', 'del\x7fchar1', ''];
  for (const secret of bad) await refused(t, s, put(secret), 422, 'invalid-secret');
  await refused(t, s, put(12345678), 422);
  await refused(t, s, put(null), 422);
  await refused(t, s, () => s.api('PUT', '/api/extensions/1001/secret', { body: {} }), 422);
  await refused(t, s, () => s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'valid-secret-1', x: 1 } }), 422);
  t.deepEqual(await reveal(s, '1001'), { secret: 'initial-secret-1', version: 1 });
  t.is((await audit(s, '&action=secret.changed')).length, 0);
  expect(t, await put('8chars!!')(), 200);
  expect(t, await put('~'.repeat(64))(), 200);
  t.deepEqual(await reveal(s, '1001'), { secret: '~'.repeat(64), version: 3 });
  await refused(t, s, () => s.api('POST', '/api/extensions', { body: extensionBody('1002', { secret: 'short' }) }), 422, 'invalid-secret');
});

test('devices: MACs in every form come back as 12 lowercase hex', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  const forms = { '80:5E:C0:12:34:56': '805ec0123456', '80-5e-c0-12-34-57': '805ec0123457', '805E.C012.3458': '805ec0123458', '805EC0123459': '805ec0123459' };
  for (const [form, canonical] of Object.entries(forms)) {
    const r = expect(t, await s.api('POST', '/api/devices', { body: { mac: form, vendor: 'yealink', lines: [{ extension: '1001' }] } }), 201);
    t.is(r.json.mac, canonical);
    t.is((await s.api('GET', `/api/devices/${encodeURIComponent(form)}`)).json?.mac, canonical);
  }
  t.deepEqual((await s.api('GET', '/api/devices')).json.map((d: any) => d.mac), Object.values(forms));
  t.deepEqual((await s.api('GET', '/api/extensions/1001')).json.devices.map((d: any) => d.mac).sort(), Object.values(forms));
  const one = (await s.api('GET', '/api/devices/805ec0123456')).json;
  for (const k of ['status', 'configVersion', 'fetchedVersion', 'lastFetch']) t.true(k in one, k);
  t.is(one.status, 'never');
});

test('devices: bad MAC 422 invalid-mac, duplicate 409 device-exists, unknown extension 422 and nothing created', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  const post = (body: Record<string, unknown>) => () => s.api('POST', '/api/devices', { body: { vendor: 'yealink', ...body } });
  for (const mac of ['80:5e:c0:12:34', '80:5e-c0:12:34:56', 'zz5ec0123456', '805ec01234567', '', '80:5e:c0:12:34:56:78']) {
    await refused(t, s, post({ mac }), 422, 'invalid-mac');
  }
  expect(t, await post({ mac: '805ec0123456', lines: [{ extension: '1001' }] })(), 201);
  await refused(t, s, post({ mac: '80:5E:C0:12:34:56' }), 409, 'device-exists');
  await refused(t, s, post({ mac: '805ec0000009', lines: [{ extension: '1001' }, { extension: '4040' }] }), 422, 'unknown-extension');
  expect(t, await s.api('GET', '/api/devices/805ec0000009'), 404);
  await refused(t, s, post({ mac: '805ec0000009', vendor: 'nokia' }), 422);
  await refused(t, s, post({ mac: '805ec0000009', vendor: 'zoiper' }), 422);
  await refused(t, s, () => s.api('PATCH', '/api/devices/805ec0123456', { body: { vendor: 'nokia' } }), 422);
  await refused(t, s, () => s.api('PATCH', '/api/devices/805ec0123456', { body: { lines: [{ extension: '4040' }] } }), 422, 'unknown-extension');
  await refused(t, s, () => s.api('PATCH', '/api/devices/805ec0999999', { body: { label: 'x' } }), 404);
  await refused(t, s, () => s.api('DELETE', '/api/devices/805ec0999999'), 404);
  t.true([404, 422].includes((await s.api('GET', '/api/devices/not-a-mac')).status));
  expect(t, await s.api('GET', '/api/devices/805ec0999999'), 404);
});

test('devices: several lines per device, one extension on several devices, PATCH and DELETE', async (t) => {
  const s = await server(t);
  for (const n of ['1001', '1002', '1003']) await ext(s, n);
  const lines = [{ extension: '1001' }, { line: 5, extension: '1003' }, { extension: '1002' }];
  const a = expect(t, await s.api('POST', '/api/devices', { body: { mac: '805ec0000001', vendor: 'yealink', model: 'T54W', lines } }), 201);
  t.deepEqual(a.json.lines.map(({ line, extension }: { line: number; extension: string }) => ({ line, extension })), [{ line: 1, extension: '1001' }, { line: 2, extension: '1002' }, { line: 5, extension: '1003' }]);
  t.deepEqual(a.json.lines[0].registration, { state: 'unknown', secretVersion: null, at: null }, 'no registrar has reported yet');
  await dev(s, '805ec0000002', ['1003', '1001'], 'polycom');
  const shared = (await s.api('GET', '/api/extensions/1001')).json.devices;
  t.deepEqual(shared.map((d: any) => [d.mac, d.vendor, d.line]).sort(), [['805ec0000001', 'yealink', 1], ['805ec0000002', 'polycom', 2]]);
  for (const d of shared) t.is(d.status, 'never');
  const patched = expect(t, await s.api('PATCH', '/api/devices/805ec0000001', { body: { label: 'Lobby', lines: [{ extension: '1002' }] } }), 200);
  t.like(patched.json, { label: 'Lobby', model: 'T54W', lines: [{ line: 1, extension: '1002' }] });
  t.is((await s.api('GET', '/api/extensions/1001')).json.devices.length, 1);
  t.is((await audit(s, '&action=device.updated')).length, 1);
  expect(t, await s.api('DELETE', '/api/devices/805EC0000001'), 204);
  expect(t, await s.api('GET', '/api/devices/805ec0000001'), 404);
  t.deepEqual((await s.api('GET', '/api/extensions/1002')).json.devices, []);
});

test('devices: ?status= and ?vendor= filters', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  await dev(s, '805ec0000001', []);
  await dev(s, '805ec0000002', ['1001']);
  await dev(s, '0004f2000003', ['1001'], 'polycom');
  const macs = async (q: string) => expect(t, await s.api('GET', `/api/devices${q}`), 200).json.map((d: any) => d.mac);
  t.deepEqual(await macs('?status=unassigned'), ['805ec0000001']);
  t.deepEqual(await macs('?status=never'), ['0004f2000003', '805ec0000002']);
  t.deepEqual(await macs('?status=synced'), []);
  t.deepEqual(await macs('?vendor=polycom'), ['0004f2000003']);
  t.deepEqual(await macs('?vendor=yealink&status=never'), ['805ec0000002']);
  t.is((await s.api('GET', '/api/devices/805ec0000001')).json.status, 'unassigned');
  expect(t, await s.api('GET', '/api/devices?status=bogus'), 422);
});

test('tokens: shown once, listed without values, viewer reads only, DELETE revokes', async (t) => {
  const s = await server(t);
  const r = expect(t, await s.api('POST', '/api/tokens', { body: { name: 'wallboard', role: 'viewer' } }), 201);
  const { id, token } = r.json;
  t.like(r.json, { name: 'wallboard', role: 'viewer' });
  t.true(typeof token === 'string' && token.length >= 20);
  const { createHash } = await import('node:crypto');
  const list = expect(t, await s.api('GET', '/api/tokens'), 200);
  t.true(list.json.some((x: any) => x.id === id && x.role === 'viewer'));
  for (const x of list.json) t.false('token' in x || 'hash' in x, JSON.stringify(x));
  for (const v of [token, s.adminToken]) {
    t.false(list.text.includes(v));
    t.false(list.text.includes(createHash('sha256').update(v).digest('hex')));
  }
  t.false(JSON.stringify(await audit(s)).includes(token));
  expect(t, await s.api('GET', '/api/extensions', { token }), 200);
  expect(t, await s.api('GET', '/api/devices', { token }), 200);
  await refused(t, s, () => s.api('POST', '/api/extensions', { token, body: extensionBody('1001') }), 403);
  await refused(t, s, () => s.api('POST', '/api/tokens', { token, body: { name: 'x', role: 'admin' } }), 403);
  expect(t, await s.api('GET', '/api/tokens', { token }), 403);
  expect(t, await s.api('GET', '/api/audit', { token }), 403);
  await refused(t, s, () => s.api('POST', '/api/tokens', { body: { name: 'x', role: 'root' } }), 422);
  expect(t, await s.api('DELETE', `/api/tokens/${id}`), 204);
  expect(t, await s.api('GET', '/api/extensions', { token }), 401);
  t.false((await s.api('GET', '/api/tokens')).json.some((x: any) => x.id === id));
  await refused(t, s, () => s.api('DELETE', `/api/tokens/${id}`), 404);
});

test('audit: filters, limit, newest first; secret events carry the version, never the secret', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'initial-secret-1' });
  await ext(s, '1002');
  await reveal(s, '1001');
  await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'second-secret-2' } });
  await reveal(s, '1001');
  await s.api('POST', '/api/extensions/1001/secret/generate');
  const generated = (await reveal(s, '1001')).secret;
  const all = await audit(s);
  t.true(all.length >= 7);
  const ids = all.map((e) => e.id);
  t.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  t.deepEqual(all.map((e) => e.at), all.map((e) => e.at).sort().reverse());
  const text = JSON.stringify(all);
  for (const secret of ['initial-secret-1', 'second-secret-2', generated]) t.false(text.includes(secret));
  const revealed = await audit(s, '&action=secret.revealed');
  t.deepEqual(revealed.map((e) => e.details.version), [3, 2, 1]);
  t.true(revealed.every((e) => e.action === 'secret.revealed' && String(e.target).includes('1001')));
  t.deepEqual((await audit(s, '&action=secret.changed')).map((e) => e.details.version), [3, 2]);
  const target = all.find((e) => e.action === 'extension.created' && e.target.includes('1002')).target;
  const forTarget = await audit(s, `&target=${encodeURIComponent(target)}`);
  t.deepEqual(forTarget, all.filter((e) => e.target === target));
  t.deepEqual((await s.api('GET', '/api/audit?limit=2')).json, all.slice(0, 2));
  for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=100000']) expect(t, await s.api('GET', `/api/audit?${q}`), 422);
});

test('body errors: 400 malformed-json, 413, 415, 422 unknown field or wrong type, and nothing changes', async (t) => {
  const s = await server(t);
  await ext(s, '1001', { secret: 'initial-secret-1' });
  const json = { 'content-type': 'application/json' };
  const send = (method: string, path: string, raw: string, headers: Record<string, string> = json) => () =>
    s.api(method, path, { raw, headers });
  for (const [m, p] of [['POST', '/api/extensions'], ['PATCH', '/api/extensions/1001'], ['PUT', '/api/extensions/1001/secret'], ['POST', '/api/devices'], ['POST', '/api/tokens']]) {
    await refused(t, s, send(m!, p!, '{"number": "1002",'), 400, 'malformed-json');
    await refused(t, s, send(m!, p!, ''), 400);
    await refused(t, s, send(m!, p!, JSON.stringify({ label: 'x'.repeat(70 * 1024) })), 413);
    await refused(t, s, send(m!, p!, '{}', { 'content-type': 'text/plain' }), 415);
    await refused(t, s, send(m!, p!, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
    await refused(t, s, send(m!, p!, '{}', { 'content-type': 'application/json; charset=latin1' }), 415);
    await refused(t, s, () => s.api(m!, p!, { raw: '{}' }), 415);
    for (const body of ['null', '[]', '"text"', '42', '{"unknownField": 1}']) await refused(t, s, send(m!, p!, body), 422);
  }
  // A body under the limit is read and then judged on its values.
  await refused(t, s, send('POST', '/api/extensions', JSON.stringify(extensionBody('1002', { label: 'x'.repeat(60 * 1024) }))), 422);
  const post = (body: unknown) => () => s.api('POST', '/api/extensions', { body });
  await refused(t, s, post(extensionBody('1002', { colour: 'red' })), 422);
  await refused(t, s, post({ ...extensionBody('1002'), server: { host: 'pbx.example.com', weight: 1 } }), 422);
  await refused(t, s, post(extensionBody(1002 as unknown as string)), 422);
  await refused(t, s, post({ ...extensionBody('1002'), server: { host: 'pbx.example.com', port: '5060' } }), 422);
  await refused(t, s, post({ ...extensionBody('1002'), server: { host: 'pbx.example.com', transport: 'sctp' } }), 422);
  await refused(t, s, post({ ...extensionBody('1002'), server: { host: 'pbx.example.com', port: 70000 } }), 422);
  await refused(t, s, post({ ...extensionBody('1002'), server: { host: 'bad host!' } }), 422);
  await refused(t, s, post(extensionBody('10 02')), 422);
  await refused(t, s, post({ number: '1002' }), 422);
  await refused(t, s, () => s.api('POST', '/api/devices', { body: { mac: '805ec0000001', vendor: 'yealink', lines: '1001' } }), 422);
  await refused(t, s, () => s.api('POST', '/api/devices', { body: { mac: 805, vendor: 'yealink' } }), 422);
  await refused(t, s, () => s.api('PATCH', '/api/extensions/1001', { body: { displayName: 42 } }), 422);
  t.deepEqual(await reveal(s, '1001'), { secret: 'initial-secret-1', version: 1 });
});

test('auth errors on writes: 401 with no or a bad token, 403 for a viewer, nothing changes', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token;
  const body = extensionBody('1002');
  for (const [token, status] of [[null, 401], ['prov_wrong', 401], [viewer, 403]] as const) {
    const r = await refused(t, s, () => s.api('POST', '/api/extensions', { token, body }), status);
    if (status === 401) t.regex(r.headers.get('www-authenticate') ?? '', /^Bearer/i);
    await refused(t, s, () => s.api('PATCH', '/api/extensions/1001', { token, body: { label: 'x' } }), status);
    await refused(t, s, () => s.api('POST', '/api/extensions/1001/secret/generate', { token }), status);
    await refused(t, s, () => s.api('DELETE', '/api/extensions/1001', { token }), status);
  }
  expect(t, await s.api('GET', '/api/extensions/1001/secret', { token: viewer }), 403);
  t.is((await audit(s, '&action=secret.revealed')).length, 0, 'a refused reveal is not audited as a reveal');
});

test('no bad input is ever answered with a 5xx', async (t) => {
  const s = await server(t);
  await ext(s, '1001');
  const cases: [string, string, unknown?][] = [
    ['GET', '/api/extensions/%ZZ'], ['GET', '/api/extensions/%00'], ['GET', `/api/extensions/${'9'.repeat(300)}`],
    ['GET', '/api/devices/%E0%A4%A'], ['GET', '/api/devices/..%2F..%2Fetc'], ['DELETE', '/api/tokens/%ZZ'],
    ['GET', '/api/audit?limit=1e400'], ['GET', '/api/audit?before=abc'], ['GET', '/api/audit?limit=1&limit=2'],
    ['GET', '/api/devices?status=never&status=unassigned'], ['GET', '/api/devices?vendor=%00'],
    ['POST', '/api/extensions', { number: '1002', server: { host: 'h', port: 1e400 } }],
    ['POST', '/api/extensions', JSON.parse('{"__proto__": {"admin": true}, "number": "1002", "server": {"host": "h"}}')],
    ['POST', '/api/extensions', extensionBody('1002', { displayName: 'a\u0000b' })],
    ['POST', '/api/extensions', extensionBody('1002', { outboundProxy: { host: '' } })],
    ['POST', '/api/devices', { mac: '805ec0000001', vendor: 'yealink', lines: [{ line: 0, extension: '1001' }] }],
    ['POST', '/api/devices', { mac: '805ec0000001', vendor: 'yealink', lines: [{ line: 99, extension: '1001' }] }],
    ['POST', '/api/devices', { mac: '805ec0000001', vendor: 'yealink', lines: [{ extension: '1001' }, { extension: '1001' }] }],
    ['POST', '/api/devices', { mac: '805ec0000001', vendor: '__proto__' }],
    ['POST', '/api/devices', { mac: '805ec0000001', vendor: 'constructor' }],
    ['POST', '/api/tokens', { name: '', role: 'viewer' }],
    ['PUT', '/api/extensions/1001/secret', { secret: '\ud800\udc00xxxxxxxx' }],
  ];
  for (const [method, path, body] of cases) {
    const r = await s.api(method, path, body === undefined ? {} : { body });
    const what = `${method} ${path} ${JSON.stringify(body)}: ${r.status} ${r.text}`;
    t.true(r.status < 500, what);
    if (method !== 'GET') t.true(r.status >= 400, what);
    if (r.status >= 400) t.is(typeof r.json?.error?.code, 'string', `JSON error body: ${what}`);
  }
  const deep = '['.repeat(30_000) + ']'.repeat(30_000);
  expect(t, await s.api('POST', '/api/extensions', { raw: deep, headers: { 'content-type': 'application/json' } }), 422);
  t.deepEqual((await s.api('GET', '/api/extensions')).json.map((e: any) => e.number), ['1001']);
});

test('racing writes end in one winner and 409s, never a 5xx or a lost update', async (t) => {
  const s = await server(t);
  const creates = await Promise.all(Array.from({ length: 8 }, () => s.api('POST', '/api/extensions', { body: extensionBody('1001') })));
  t.deepEqual(creates.map((r) => r.status).sort(), [201, ...Array(7).fill(409)]);
  for (const r of creates.filter((r) => r.status === 409)) t.is(r.json.error.code, 'extension-exists');
  const gens = await Promise.all(Array.from({ length: 8 }, () => s.api('POST', '/api/extensions/1001/secret/generate')));
  for (const r of gens) t.true(r.status === 200 || r.status === 409, r.text);
  const versions = gens.filter((r) => r.status === 200).map((r) => r.json.version as number);
  t.is(new Set(versions).size, versions.length, 'each successful change has its own version');
  t.is((await reveal(s, '1001')).version, 1 + versions.length);
  t.is((await audit(s, '&action=secret.changed')).length, versions.length);
});
