// The README's walk-through, on the real process: first start writes the
// admin token file, an admin creates 1001, maps two MACs, reveals and
// regenerates the secret, and sees each step in the audit log; a restart
// keeps it all.
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { startProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';

test('first start to regenerated secret, through the real process', async (t) => {
  // Two starts of a primary and its workers, on a machine other tests share.
  t.timeout(240_000);
  const dataDir = tempDir();
  let server = await startProcess({ PROV_DATA_DIR: dataDir });
  t.teardown(() => server.stop());
  const tokenFile = path.join(dataDir, 'admin-token');
  t.true(server.output().includes(tokenFile), 'the log names the token file');
  const token = fs.readFileSync(tokenFile, 'utf8').trim();
  t.false(server.output().includes(token), 'the log never shows the token');

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(server.url + p, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: res.status === 204 ? null : await res.json() };
  };

  t.is((await call('POST', '/api/extensions', { number: '1001', secret: 'Chosen-Secret-1', server: { host: 'pbx.example.com' } })).status, 201);
  t.is((await call('POST', '/api/devices', { mac: '80:5E:C0:12:34:56', vendor: 'yealink', lines: [{ extension: '1001' }] })).status, 201);
  t.is((await call('POST', '/api/devices', { mac: '0004.F2E7.65DA', vendor: 'polycom', lines: [{ extension: '1001' }] })).status, 201);
  t.deepEqual((await call('GET', '/api/extensions/1001/secret')).json, { secret: 'Chosen-Secret-1', version: 1 });
  const regenerated = await call('POST', '/api/extensions/1001/secret/generate');
  t.is(regenerated.json.version, 2);
  t.deepEqual(regenerated.json.devices.map((d: { mac: string }) => d.mac), ['0004f2e765da', '805ec0123456']);
  const newSecret = (await call('GET', '/api/extensions/1001/secret')).json.secret;
  t.regex(newSecret, /^[A-Za-z0-9]{20,}$/);

  const actions = (await call('GET', '/api/audit')).json.map((e: { action: string }) => e.action).reverse();
  t.deepEqual(actions, [
    'token.created',
    'extension.created',
    'device.created',
    'device.created',
    'secret.revealed',
    'secret.changed',
    'secret.revealed',
  ]);

  t.is(await server.stop(), 0, 'SIGTERM shuts down cleanly');
  server = await startProcess({ PROV_DATA_DIR: dataDir });
  t.is((await call('GET', '/api/extensions/1001/secret')).json.secret, newSecret);
  t.is((await call('GET', '/api/extensions/1001')).json.devices.length, 2);
});
