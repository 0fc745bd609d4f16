// The server's small named values and its job leases on MongoDB. A guard is
// held by its batch until the batch is over (below), and a lease changes
// hands (or is renewed) only through rewrite(), so of instances asking at
// once exactly one moves either (exclusive.ts).
import { guardKey, RevisionMismatch } from '../store.ts';
import { isDuplicate, type Collections } from './collections.ts';
import { hold, rewrite } from './exclusive.ts';
import { engine, type MongoPart } from './part.ts';

/** A lease inserted by another instance first: read again, and decided on what it holds. */
function refusedIfTaken(err: unknown): false {
  if (isDuplicate(err)) return false;
  throw err;
}

export function mongoMeta(c: Collections): MongoPart<'meta'> {
  return {
    reads: {
      getMeta(key) {
        return engine(async () => (await c.meta.findOne({ _id: key }))?.value ?? null);
      },
      initMeta(key, value) {
        return engine(async () => {
          try {
            await c.meta.updateOne({ _id: key }, { $setOnInsert: { value } }, { upsert: true });
          } catch (err) {
            // Two instances starting at once both upserted: the other one's insert won, and its value is read below.
            if (!isDuplicate(err)) throw err;
          }
          return (await c.meta.findOne({ _id: key }))!.value;
        });
      },
      acquireLease(name, holder, now, until) {
        return engine(() =>
          // Busy means another instance is taking or renewing it this moment: it is not free for this one.
          rewrite(c, c.leases, name, { session: undefined }, (lease) => {
            if (!lease) return () => c.leases.insertOne({ _id: name, holder, until }).then(() => true, refusedIfTaken);
            if (lease.holder !== holder && lease.until > now) return null;
            return async (pinned, w) => (await c.leases.updateOne(pinned, { $set: { holder, until, w } })).matchedCount === 1;
          }, 'skip'),
        );
      },
    },
    writes: {
      guard: async ({ name, expect }, s) => {
        const key = guardKey(name);
        if (s.session) {
          // In a transaction: the batch's writes and the guard's move are seen together, or not at all.
          if (expect === 0) {
            try {
              await c.meta.insertOne({ _id: key, value: '1' }, s);
              return;
            } catch (err) {
              if (!isDuplicate(err)) throw err;
            }
          }
          const moved = await c.meta.updateOne({ _id: key, value: String(expect) }, { $set: { value: String(expect + 1) } }, s);
          if (moved.matchedCount !== 1) throw new RevisionMismatch('guard', name);
          return;
        }
        // Without one, a batch's writes land one by one. A guard moved at
        // once would let a batch planned after the move read the state
        // before this batch's writes, and pass. So the batch holds the
        // guard's lock until it is over, and moves the guard only then:
        // whoever reads the guard meanwhile finds it held or moved when it
        // commits. It is moved even when the batch is undone, as what was
        // read during it may have been the undone writes.
        const release = await hold(c, `meta:${key}`);
        if (!release) throw new RevisionMismatch('guard', name);
        try {
          const value = Number((await c.meta.findOne({ _id: key }))?.value ?? 0);
          if (value !== expect) throw new RevisionMismatch('guard', name);
        } catch (err) {
          await release();
          throw err;
        }
        const end = async () => {
          try {
            await c.meta.updateOne({ _id: key }, { $set: { value: String(expect + 1) } }, { upsert: true });
          } finally {
            await release();
          }
        };
        if (s.atEnd) s.atEnd.push(end);
        else await end();
      },
    },
  };
}
