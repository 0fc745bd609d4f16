// "At least one admin" holds under concurrency: rounds of simultaneous
// demotions and deletions of every admin account (and of admin tokens),
// spread over two workers, always leave an admin, because the rule is held
// by the store's commit (a guard the competing changes share), not by a
// count each request took while planning. On SQLite with workers, and on the
// MongoDB store too when MONGODB_URI is set (one database per test).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import test from 'ava';
import { callOnOwnConnection } from '../helpers/own-connection.ts';
import { startProcess, type Running } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';

const TOKEN = 'last-admin-race-admin-token-0123456789';
const ROUNDS = 20;

/** One request on a connection of its own, so the primary hands each to the next worker. */
const call = (s: Running, method: string, path: string, body?: unknown) => callOnOwnConnection(s.url, TOKEN, method, path, body);

const stores: [string, Record<string, string>][] = [['SQLite', {}]];
if (process.env.MONGODB_URI) stores.push(['MongoDB', { MONGODB_URI: process.env.MONGODB_URI, PROV_MONGODB_DB: `prov_test_admins_${randomBytes(4).toString('hex')}` }]);

for (const [name, env] of stores) {
  test(`${name}, two workers: ${ROUNDS} rounds of concurrent demotions and deletions always leave an admin`, async (t) => {
    t.timeout(300_000);
    const dataDir = tempDir();
    t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const s = await startProcess({ PROV_DATA_DIR: dataDir, PROV_WORKERS: '2', PROV_ADMIN_TOKEN: TOKEN, PROV_SWEEP_MINUTES: '0', PROV_NOTIFY: 'off', ...env }, 120_000);
    t.teardown(() => s.stop());
    let serial = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Make sure there are three admins, then ask at once to demote or delete each of them.
      const have = ((await call(s, 'GET', '/api/users')).json as { username: string; role: string }[]).filter((u) => u.role === 'admin');
      for (let i = have.length; i < 3; i++) {
        const made = await call(s, 'POST', '/api/users', { username: `admin${serial++}`, role: 'admin', password: 'correct horse battery' });
        t.is(made.status, 201);
      }
      const admins = ((await call(s, 'GET', '/api/users')).json as { username: string; role: string }[]).filter((u) => u.role === 'admin');
      const answers = await Promise.all(
        admins.map((u, i) => ((round + i) % 2 === 0 ? call(s, 'DELETE', `/api/users/${u.username}`) : call(s, 'PATCH', `/api/users/${u.username}`, { role: 'viewer' }))),
      );
      for (const a of answers) t.true([200, 204, 409].includes(a.status), `answered ${a.status}: ${JSON.stringify(a.json)}`);
      t.true(answers.some((a) => a.status === 409 && a.json.error.code === 'last-admin-user'), `the last one was refused: ${JSON.stringify(answers.map((a) => [a.status, a.json?.error?.code]))}`);
      const left = ((await call(s, 'GET', '/api/users')).json as { role: string }[]).filter((u) => u.role === 'admin');
      t.true(left.length >= 1, `round ${round}: ${left.length} admins left`);
    }
  });
}
