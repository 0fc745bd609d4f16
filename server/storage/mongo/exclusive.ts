// One writer at a time, on engines that do not make a conditional write
// atomic. FerretDB 1.x applies an update or a delete as a read and then a
// write of the whole document by _id: writers that read the same state all
// pass a filter naming it (a revision, a guard's value, an open claim window),
// and a write can put back fields another writer changed in between. What
// MongoDB and FerretDB both enforce atomically is a unique _id: of several
// inserts of one _id exactly one lands. So a writer first inserts a lock named
// after the state it moves the document from. A writer whose insert fails
// knows another is moving that document from that same state; the winner's
// conditional write, whose read comes after its insert, is alone. The lock is
// deleted once the write is done: a writer inserting it after that reads the
// moved state, and its filter no longer matches.
//
// A lock left by an instance that died between its insert and its delete is
// stale after LOCK_STALE_MS. The next writer then takes the next rung of it
// (`…~1`, `…~2`, each again one insert that one writer wins) and removes the
// rungs below once its write is over. Like a lease, this assumes that no
// writer spends that long between its insert and the end of its write, and
// that the instances' clocks agree to within seconds.
//
// Inside a transaction (a replica set) none of this runs: the engine is then
// MongoDB, whose conditional writes are atomic and whose conflicting
// transactions are retried by the driver, and a duplicate key inside a
// transaction would abort it.
import { randomUUID } from 'node:crypto';
import type { Collection, DeleteResult, Filter, UpdateResult, WithId } from 'mongodb';
import { RevisionMismatch } from '../store-errors.ts';
import { isDuplicate, type Collections } from './collections.ts';
import type { InBatch } from './part.ts';

export const LOCK_STALE_MS = 30_000;
/** Rungs a lock can have: each one above the first needs the one below it to have gone stale. */
const RUNGS = 16;

export const TAKEN = Symbol('taken');

const rung = (name: string, n: number) => (n === 0 ? name : `${name}~${n}`);

/**
 * Takes the lock `name` and keeps it until `release` is called: null while a
 * live writer holds it. For a write whose effect others must not see begun
 * before it is over (a guard, which moves only once its batch is done).
 */
export async function hold(c: Collections, name: string): Promise<(() => Promise<void>) | null> {
  const by = randomUUID();
  const held = await take(c, name, by);
  return held === null ? null : () => release(c, name, held, by);
}

/** Runs `write` holding the lock `name`; TAKEN, without running it, while a live writer holds that lock. */
export async function exclusive<T>(c: Collections, name: string, s: InBatch, write: () => Promise<T>): Promise<T | typeof TAKEN> {
  if (s.session) return write();
  const release = await hold(c, name);
  if (!release) return TAKEN;
  try {
    return await write();
  } finally {
    // A lock that could not be deleted (the server gone) goes stale; the writes it kept apart are over.
    await release().catch(() => {});
  }
}

async function take(c: Collections, name: string, by: string): Promise<number | null> {
  for (let n = 0; n < RUNGS; n++) {
    for (;;) {
      try {
        await c.locks.insertOne({ _id: rung(name, n), at: new Date(), by });
        return n;
      } catch (err) {
        if (!isDuplicate(err)) throw err;
      }
      const holder = await c.locks.findOne({ _id: rung(name, n) });
      // Deleted between our insert and our read: its writer is done, so this rung is free again.
      if (!holder) continue;
      if (Date.now() - holder.at.getTime() < LOCK_STALE_MS) return null;
      break;
    }
  }
  return null;
}

async function release(c: Collections, name: string, held: number, by: string): Promise<void> {
  // Only once this write is over: whoever takes a freed lower rung then reads what it left.
  if (held > 0) await c.locks.deleteMany({ _id: { $in: Array.from({ length: held }, (_, n) => rung(name, n)) } });
  // By the holder's own mark, so that a writer back after its lock went stale removes only its own.
  await c.locks.deleteOne({ _id: rung(name, held), by });
}

/**
 * A replace or delete of the document at the revision its plan read, holding
 * the lock on that revision: of writers planned from one revision exactly
 * one lands, and the others are RevisionMismatch, as when it had moved.
 */
export async function atRevision<D extends { _id: string; rev: number }>(
  c: Collections,
  coll: Collection<D>,
  entity: string,
  id: string,
  rev: number,
  s: InBatch,
  write: (pinned: Filter<D>) => Promise<UpdateResult<D> | DeleteResult>,
): Promise<void> {
  const r = await exclusive(c, `${coll.collectionName}:${id}#${rev}`, s, () => write({ _id: id, rev } as Filter<D>));
  const landed = r !== TAKEN && ('deletedCount' in r ? r.deletedCount : r.matchedCount) === 1;
  if (!landed) throw new RevisionMismatch(entity, id);
}

/** A document written only through rewrite(): w counts its writes, and is absent until the first. */
export type Counted = { _id: string; w?: number };

/**
 * The write a plan chose for the document it read: given the filter that
 * pins the document to that read and the write count to set, it writes and
 * answers whether the filter matched.
 */
export type Rewrite<D> = (pinned: Filter<D>, w: number) => Promise<boolean>;

const pause = () => new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 8));

/**
 * A read-modify-write of one document that every writer of it makes this
 * way, so that none of them is lost to another: read, let `plan` decide on
 * what was read (a write, none, or a refusal it throws), and write holding
 * the lock on the count read. A document that moved meanwhile is read and
 * planned again. While another writer holds the lock this waits for it, or
 * with `busy: 'skip'` gives up. Answers whether it wrote.
 */
export async function rewrite<D extends Counted>(
  c: Collections,
  coll: Collection<D>,
  id: string,
  s: InBatch,
  plan: (doc: WithId<D> | null) => Rewrite<D> | null,
  busy: 'wait' | 'skip' = 'wait',
): Promise<boolean> {
  const deadline = Date.now() + LOCK_STALE_MS + 5_000;
  for (;;) {
    const doc = await coll.findOne({ _id: id } as Filter<D>, s);
    const write = plan(doc);
    if (!write) return false;
    const w = doc?.w ?? 0;
    // null matches a document no writer has counted yet.
    const pinned = { _id: id, w: doc?.w ?? null } as Filter<D>;
    const done = await exclusive(c, `${coll.collectionName}:${id}#${w}`, s, () => write(pinned, w + 1));
    if (done === true) return true;
    if (done === TAKEN) {
      if (busy === 'skip') return false;
      if (Date.now() > deadline) throw new Error(`${coll.collectionName} ${id}: another writer kept it for ${LOCK_STALE_MS} ms`);
      await pause();
    }
  }
}
