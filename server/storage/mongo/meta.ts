// The server's small named values and its job leases on MongoDB. A lease is
// one conditional upsert, so two instances asking at once cannot both get it.
import { guardKey, RevisionMismatch } from '../store.ts';
import { isDuplicate, type Collections } from './collections.ts';
import { engine, type MongoPart } from './part.ts';

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
        return engine(async () => {
          try {
            const taken = await c.leases.findOneAndUpdate(
              { _id: name, $or: [{ holder }, { until: { $lte: now } }] },
              { $set: { holder, until } },
              { upsert: true, returnDocument: 'after' },
            );
            return taken?.holder === holder;
          } catch (err) {
            // Held by someone else: the upsert tried to insert a second document with this name.
            if (isDuplicate(err)) return false;
            throw err;
          }
        });
      },
    },
    writes: {
      guard: async ({ name, expect }, s) => {
        // One conditional write: of two batches that read the same value, only one moves it.
        const key = guardKey(name);
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
      },
    },
  };
}
