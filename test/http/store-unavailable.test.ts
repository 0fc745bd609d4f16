// A store that cannot take a write answers 503 store-unavailable, and the
// refused change leaves no trace once the store is back.
import path from 'node:path';
import Database from 'better-sqlite3';
import test from 'ava';
import { extensionBody, startServer } from '../helpers/server.ts';

test('a locked database gives 503 store-unavailable and changes nothing', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  const other = new Database(path.join(s.dataDir, 'provisioning.db'));
  other.exec('BEGIN IMMEDIATE');
  const refused = await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  other.exec('ROLLBACK');
  other.close();
  t.is(refused.status, 503);
  t.is(refused.json.error.code, 'store-unavailable');
  t.is((await s.api('GET', '/api/extensions/1001')).status, 404);
  const actions = (await s.api('GET', '/api/audit')).json.map((e: { action: string }) => e.action);
  t.false(actions.includes('extension.created'));
  t.is((await s.api('POST', '/api/extensions', { body: extensionBody('1001') })).status, 201);
});
