// Stop the server, start it again on the same data directory: everything is
// there and the secrets still open with the key file written on first start.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { extensionBody, startServer, tempDir } from './helpers/server.ts';

test('data and secrets survive a restart on the same data directory', async (t) => {
  const dataDir = tempDir();
  const first = await startServer({ dataDir });
  const secret = 'Persist&Me<"1001">';
  t.is((await first.api('POST', '/api/extensions', { body: extensionBody('1001', { secret }) })).status, 201);
  t.is((await first.api('POST', '/api/extensions', { body: extensionBody('1002') })).status, 201);
  const generated = (await first.api('GET', '/api/extensions/1002/secret')).json.secret;
  const device = { mac: '80:5E:C0:12:34:56', vendor: 'yealink', lines: [{ extension: '1001' }, { extension: '1002' }] };
  t.is((await first.api('POST', '/api/devices', { body: device })).status, 201);
  const viewer = (await first.api('POST', '/api/tokens', { body: { name: 'wallboard', role: 'viewer' } })).json.token;
  const auditBefore = (await first.api('GET', '/api/audit')).json;
  await first.close();

  const second = await startServer({ dataDir });
  t.teardown(second.close);
  t.is(second.adminToken, first.adminToken, 'the first-start token is not replaced on restart');
  t.deepEqual((await second.api('GET', '/api/extensions/1001/secret')).json, { secret, version: 1 });
  t.is((await second.api('GET', '/api/extensions/1002/secret')).json.secret, generated);
  const d = (await second.api('GET', '/api/devices/805ec0123456')).json;
  t.deepEqual(d.lines, [
    { line: 1, extension: '1001', registration: { state: 'unknown', secretVersion: null, at: null } },
    { line: 2, extension: '1002', registration: { state: 'unknown', secretVersion: null, at: null } },
  ]);
  t.is((await second.api('GET', '/api/extensions', { token: viewer })).status, 200);
  const auditAfter = (await second.api('GET', '/api/audit')).json;
  t.deepEqual(auditAfter.slice(-auditBefore.length), auditBefore);
  t.is(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777, 0o600);
  t.is(fs.statSync(path.join(dataDir, 'admin-token')).mode & 0o777, 0o600);
  t.is(fs.statSync(dataDir).mode & 0o777, 0o700);
});

test('PROV_ADMIN_TOKEN is accepted and no token file is written', async (t) => {
  const dataDir = tempDir();
  const token = 'configured-admin-token-0123456789';
  const s = await startServer({ dataDir, env: { PROV_ADMIN_TOKEN: token } });
  t.teardown(s.close);
  t.false(fs.existsSync(path.join(dataDir, 'admin-token')));
  t.is((await s.api('POST', '/api/extensions', { token, body: extensionBody('2001') })).status, 201);
  const [event] = (await s.api('GET', '/api/audit', { token })).json;
  t.is(event.actor, 'PROV_ADMIN_TOKEN');
  t.is((await s.api('GET', '/api/extensions', { token: token + 'x' })).status, 401);
});
