// The database crashing under two running instances: a FerretDB of this
// test's own (the run's shared one must stay up for the others), killed with
// SIGKILL and started again on the same port and directory. While it is
// down every answer is a quick, honest 503 — never a 500, never a hang — and
// a server starting meanwhile refuses in one line; once it is back both
// instances recover by themselves, with every acknowledged change kept.
import test from 'ava';
import { buildServer } from '../helpers/build.ts';
import { findFerretDb, startFerretDb } from '../helpers/ferretdb.ts';
import { loggedErrors, password, provision, sharedEnv, startInstance, type Instance } from '../helpers/mongo.ts';
import { runToExit } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';

const EXT = '1001';
const YEA = '805ec0a1b2c3';
const bin = findFerretDb(process.env.PROV_FERRETDB_BIN);

/** How long an answer took, with the answer. */
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await work();
  return [value, Date.now() - started];
}

if (bin) {
  test('the database killed under two instances: 503s within 10 s, a refused boot, then both recover with every acknowledged change', async (t) => {
    t.timeout(180_000);
    const db = await startFerretDb(bin);
    t.teardown(() => db.stop());
    const env = sharedEnv(t, db.uri);
    const [a, b] = await Promise.all([startInstance(t, env, 2), startInstance(t, env)]);
    const both: [string, Instance][] = [['A', a], ['B', b]];

    const creds = await provision(a, YEA, 'First-Secret-1');
    t.is((await b.api('PUT', `/api/extensions/${EXT}/secret`, { secret: 'Acknowledged-2' })).status, 200);

    await db.kill();
    await Promise.all(
      both.map(async ([name, s]) => {
        const [write, writeMs] = await timed(() => s.api('PUT', `/api/extensions/${EXT}/secret`, { secret: 'While-Down-3' }));
        t.is(write.status, 503, `${name}: an admin write ${write.text}\n${loggedErrors(s)}`);
        t.is(write.json?.error?.code, 'store-unavailable', name);
        t.true(writeMs < 10_000, `${name}: answered in ${writeMs} ms`);
        const [ready, readyMs] = await timed(() => s.api('GET', '/readyz'));
        t.is(ready.status, 503, `${name}: /readyz\n${loggedErrors(s)}`);
        t.true(readyMs < 10_000, `${name}: /readyz in ${readyMs} ms`);
        const [phone, phoneMs] = await timed(() => s.phone(YEA, creds));
        t.is(phone.status, 503, `${name}: a phone\n${loggedErrors(s)}`);
        t.is(phone.headers.get('retry-after'), '30', `${name}: told when to ask again`);
        t.true(phoneMs < 10_000, `${name}: the phone in ${phoneMs} ms`);
        t.log(`${name}, database down: write ${writeMs} ms, /readyz ${readyMs} ms, phone ${phoneMs} ms`);
      }),
    );

    // A server starting now refuses in one line, and exits.
    const refused = await runToExit({ ...env, PROV_DATA_DIR: tempDir(), PROV_WORKERS: '2' }, 55_000, buildServer());
    t.is(refused.code, 1);
    t.regex(refused.stderr, /^error: the store is not answering; not starting \(.+\)\n$/);

    await db.restart();
    const back = Date.now();
    await Promise.all(
      both.map(async ([name, s]) => {
        while ((await s.api('GET', '/readyz')).status !== 200) {
          if (Date.now() - back > 30_000) throw new Error(`${name} not ready 30 s after the database came back`);
          await new Promise((r) => setTimeout(r, 200));
        }
        t.log(`${name} ready ${Date.now() - back} ms after the database came back`);
      }),
    );
    for (const [name, s] of both) {
      const r = await s.phone(YEA, creds);
      t.is(r.status, 200, name);
      t.is(password(r.text), 'Acknowledged-2', `${name}: the acknowledged change kept, the refused one not applied`);
    }
    t.is((await a.api('PUT', `/api/extensions/${EXT}/secret`, { secret: 'After-Back-4' })).status, 200, 'A writes again');
    t.is(password((await b.phone(YEA, creds)).text), 'After-Back-4', 'and B serves it');
    const actions = (await b.api('GET', `/api/audit?action=secret.changed`)).json;
    t.is(actions.length, 2, 'two secret changes acknowledged, two audited');
  });
}
