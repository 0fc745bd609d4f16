// A batch on a server without transactions (a standalone mongod, FerretDB):
// its writes land one at a time, so a batch refused part-way — a revision
// moved, a key taken, a reference broken — would keep the writes before the
// refusal. The batch's writes go through collections that keep each touched
// document's before-image, and a refused batch is undone from them, newest
// first, so it leaves nothing behind as a transaction would. What it cannot
// give: isolation from a concurrent writer on the same documents, and an undo
// after a crash or a lost connection (the start-up reconcile and the sweep
// repair those, docs/deployment.md).
import type { Collection, Document, Filter, UpdateResult } from 'mongodb';
import type { Collections } from './collections.ts';

type Undo = { coll: Collection<Document>; id: unknown; before: Document | null };

// The audit counter is left out: restoring it while another instance drew a
// number would hand that number out twice; a gap in audit ids is harmless.
// So are the write locks (exclusive.ts): each op deletes its own before it
// returns, and an undo that put one back would block writers until it went
// stale. A link's use documents are journaled like any write: a refused
// batch's use is not counted.
const UNJOURNALED = new Set<keyof Collections>(['counters', 'locks']);

/** Collections whose writes are journaled, and the undo of everything written through them so far. */
export function journaled(c: Collections): { collections: Collections; undo: () => Promise<void> } {
  const log: Undo[] = [];
  const wrap = (coll: Collection<Document>): Collection<Document> => {
    const touched = async (filter: Filter<Document>, sort?: unknown) => coll.findOne(filter, sort ? { sort: sort as never } : {});
    const kept = (id: unknown, before: Document | null) => log.push({ coll, id, before });
    /** A write of at most one document, which it may upsert. */
    const one = async (filter: Filter<Document>, write: () => Promise<UpdateResult>) => {
      const before = await touched(filter);
      const r = await write();
      if (before && r.matchedCount) kept(before._id, before);
      else if (r.upsertedId !== null) kept(r.upsertedId, null);
      return r;
    };
    const writes: Record<string, (...a: any[]) => Promise<any>> = {
      async insertOne(doc: Document, options) {
        const r = await coll.insertOne(doc, options);
        kept(r.insertedId, null);
        return r;
      },
      replaceOne: (filter: Filter<Document>, doc: Document, options) => one(filter, () => coll.replaceOne(filter, doc, options)),
      updateOne: (filter: Filter<Document>, update: Document, options) => one(filter, () => coll.updateOne(filter, update, options)),
      async findOneAndUpdate(filter: Filter<Document>, update: Document, options) {
        const before = await touched(filter, options?.sort);
        const r: Document | null = await coll.findOneAndUpdate(filter, update, options);
        if (before && r) kept(before._id, before);
        else if (r) kept(r._id, null);
        return r;
      },
      async deleteOne(filter: Filter<Document>, options) {
        const before = await touched(filter);
        const r = await coll.deleteOne(filter, options);
        if (before && r.deletedCount) kept(before._id, before);
        return r;
      },
      async deleteMany(filter: Filter<Document>, options) {
        const before = await coll.find(filter).toArray();
        const r = await coll.deleteMany(filter, options);
        for (const doc of before) kept(doc._id, doc);
        return r;
      },
    };
    return new Proxy(coll, {
      get: (target, key, receiver) => (typeof key === 'string' && key in writes ? writes[key] : Reflect.get(target, key, receiver)),
    });
  };
  const collections = Object.fromEntries(
    Object.entries(c).map(([name, coll]) => [name, UNJOURNALED.has(name as keyof Collections) ? coll : wrap(coll)]),
  ) as unknown as Collections;
  return {
    collections,
    async undo() {
      for (const { coll, id, before } of log.reverse()) {
        const byId = { _id: id } as Filter<Document>;
        if (before) await coll.replaceOne(byId, before, { upsert: true });
        else await coll.deleteOne(byId);
      }
    },
  };
}
