// What the MongoDB store keeps beside the records to hold racing writers on
// every engine (server/storage/mongo/exclusive.ts, links.ts), seen in the
// database itself: a lock left by a writer that died goes stale and is taken
// over, a live one holds writers off, no op leaves one behind, and a link's
// use documents count on from what was counted before them and go with the
// extension. mongo-store.test.ts runs these against the run's MongoDB server.
import type { ExecutionContext, TestFn } from 'ava';
import { MongoClient, type Db } from 'mongodb';
import { LOCK_STALE_MS } from '../../server/storage/mongo/exclusive.ts';
import { openMongoStore } from '../../server/storage/mongo-store.ts';
import { LinkUnavailable, RevisionMismatch, type Store } from '../../server/storage/store.ts';
import { dropDatabase } from '../helpers/ferretdb.ts';
import { testDatabase } from '../helpers/mongo.ts';
import { dev, ext } from './store-contract.ts';

const A = '805ec0000001';
const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:05:00.000Z';
const T2 = '2024-05-01T10:10:00.000Z';
const link = { id: 'a', tokenHash: 'hash-a', extension: '1001', app: 'zoiper', createdAt: T0, expiresAt: '2024-05-04T10:00:00.000Z', maxUses: 2, uses: 0, revokedAt: null, lastUsedAt: null, lastSecretVersion: null, createdBy: 'admin' };

/** A store on a database of the test's own, and that database as the engine has it; both gone when the test ends. */
async function open(t: ExecutionContext, uri: string): Promise<{ s: Store; db: Db }> {
  const database = testDatabase();
  const s = await openMongoStore({ uri, database });
  const client = new MongoClient(uri);
  t.teardown(async () => {
    await s.close();
    await client.close();
    await dropDatabase(uri, database);
  });
  return { s, db: client.db(database) };
}

const lock = (db: Db, _id: string, ageMs: number) => db.collection<{ _id: string; at: Date; by: string }>('write_locks').insertOne({ _id, at: new Date(Date.now() - ageMs), by: 'another instance' });
const locks = async (db: Db) => (await db.collection('write_locks').find().toArray()).map((l) => l._id);

export function mongoLockTests(test: TestFn, uri: string): void {
  test('a lock left by a writer that died goes stale: the next writer takes the rung above it and clears both', async (t) => {
    const { s, db } = await open(t, uri);
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await lock(db, 'extensions:1001#1', LOCK_STALE_MS + 1_000);
    await s.commit([{ op: 'update-extension', record: ext('1001', { displayName: 'moved on', rev: 2 }), expectRev: 1 }]);
    t.is((await s.getExtension('1001'))?.displayName, 'moved on');
    t.deepEqual(await locks(db), []);
  });

  test('a live lock on a revision refuses a writer planned from it, and changes nothing', async (t) => {
    const { s, db } = await open(t, uri);
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await lock(db, 'extensions:1001#1', 0);
    await t.throwsAsync(s.commit([{ op: 'update-extension', record: ext('1001', { rev: 2 }), expectRev: 1 }]), { instanceOf: RevisionMismatch });
    t.is((await s.getExtension('1001'))?.rev, 1);
    t.deepEqual(await locks(db), ['extensions:1001#1'], 'the other writer keeps its lock');
  });

  test("a device write waits while another writer holds the device, and lands once that one is done", async (t) => {
    const { s, db } = await open(t, uri);
    await s.commit([{ op: 'insert-device', record: dev(A) }]);
    await lock(db, `devices:${A}#0`, 0);
    const fetch = { version: 1, at: T1, ip: '192.0.2.10', userAgent: 'Yealink', file: `${A}.cfg`, credential: 'current' as const };
    let done = false;
    const recording = s.recordFetch(A, fetch).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    t.false(done, 'still waiting');
    t.is((await s.getDevice(A))?.fetchCount, 0);
    await db.collection<{ _id: string }>('write_locks').deleteOne({ _id: `devices:${A}#0` });
    await recording;
    t.like(await s.getDevice(A), { fetchCount: 1, fetchedVersion: 1 });
    t.deepEqual(await locks(db), []);
  });

  test('no op leaves a lock behind, refused or not', async (t) => {
    const { s, db } = await open(t, uri);
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-device', record: dev(A) },
      { op: 'insert-user', record: { username: 'admin', role: 'admin', passwordHash: 'x', createdAt: T0, updatedAt: T0, rev: 1 }, first: true },
      { op: 'guard', name: 'rule', expect: 0 },
      { op: 'open-claim', mac: A, until: T2 },
    ]);
    await s.commit([
      { op: 'update-extension', record: ext('1001', { rev: 2 }), expectRev: 1 },
      { op: 'guard', name: 'rule', expect: 1 },
      { op: 'use-claim', mac: A, at: T1 },
      { op: 'update-device', record: dev(A, [], { rev: 2 }), expectRev: 1 },
    ]);
    await t.throwsAsync(s.commit([{ op: 'guard', name: 'rule', expect: 2 }, { op: 'update-extension', record: ext('1001', { rev: 9 }), expectRev: 1 }]));
    await s.recordFetch(A, { version: 1, at: T1, ip: '192.0.2.10', userAgent: 'Yealink', file: `${A}.cfg`, credential: 'current' });
    await s.recordNotify(A, { state: 'sent', via: 'direct', target: 'udp:10.0.0.7:5060', at: T1, code: null, attempts: 1, key: 'v2' });
    t.true(await s.acquireLease('sweep', 'a', T0, T1));
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
    t.false(await s.acquireLease('sweep', 'b', T1, T2));
    t.deepEqual(await locks(db), []);
  });

  test("uses counted on a link before uses were documents count on, and a deleted extension takes its links' uses", async (t) => {
    const { s, db } = await open(t, uri);
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    // As an earlier version stored it: the use counted on the link itself.
    await db.collection<Record<string, unknown> & { _id: string }>('links').insertOne({ ...link, _id: 'a', uses: 1, lastUsedAt: T0, lastSecretVersion: 1 });
    t.like(await s.getLink('a'), { uses: 1, lastUsedAt: T0, lastSecretVersion: 1 });
    await s.commit([{ op: 'use-link', id: 'a', at: T1, secretVersion: 2 }]);
    t.like(await s.getLink('a'), { uses: 2, lastUsedAt: T1, lastSecretVersion: 2 });
    t.like((await s.listLinks())[0], { uses: 2, lastUsedAt: T1 });
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'a', at: T1, secretVersion: 3 }]), { instanceOf: LinkUnavailable });
    t.is(await db.collection('link_uses').countDocuments(), 1);
    await s.commit([{ op: 'delete-extension', number: '1001', expectRev: 1 }]);
    t.is(await db.collection('link_uses').countDocuments(), 0);
  });
}
