// The audit trail on MongoDB. Events get increasing numeric ids from a
// counter document, drawn inside the batch, so paging by id works as it does
// on SQLite; targetKey lets "1001" find "extension:1001" by index.
import type { Filter } from 'mongodb';
import { isDuplicate, targetKey, type AuditDoc, type Collections } from './collections.ts';
import { engine, type InBatch, type MongoPart } from './part.ts';

/** Enough for every instance and worker drawing at the same moment. */
const MAX_DRAWS = 100;

async function nextAuditId(c: Collections, s: InBatch): Promise<number> {
  const counter = await c.counters.findOneAndUpdate({ _id: 'audit' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', ...s });
  return counter!.seq;
}

export function mongoAudit(c: Collections): MongoPart<'audit'> {
  return {
    reads: {
      listAudit(query) {
        const filter: Filter<AuditDoc> = {};
        if (query.action !== undefined) filter.action = query.action;
        if (query.actionPrefix !== undefined) filter.action = { ...(query.action !== undefined ? { $eq: query.action } : {}), $gte: query.actionPrefix, $lt: query.actionPrefix + '\uffff' };
        if (query.since !== undefined || query.until !== undefined) {
          filter.at = { ...(query.since !== undefined ? { $gte: query.since } : {}), ...(query.until !== undefined ? { $lt: query.until } : {}) };
        }
        if (query.target !== undefined) {
          // "1001" finds "extension:1001"; "extension:1001" finds only that.
          if (query.target.includes(':')) filter.target = query.target;
          else filter.targetKey = query.target;
        }
        if (query.beforeId !== undefined) filter._id = { $lt: query.beforeId };
        return engine(async () => {
          const docs = await c.audit.find(filter).sort({ _id: -1 }).limit(query.limit).toArray();
          return docs.map(({ _id, targetKey: _k, ...event }) => ({ ...event, id: _id }));
        });
      },
      pruneAudit(before) {
        // ISO-8601 UTC times compare correctly as strings.
        return engine(async () => (await c.audit.deleteMany({ at: { $lt: before } })).deletedCount);
      },
    },
    writes: {
      audit: async (op, s) => {
        const { id: _ignored, ...event } = op.event;
        // A server that applies $inc as a read and then a write (FerretDB)
        // can hand one id to two batches at once, and the counter's first
        // upserts can collide: the loser draws again.
        for (let attempt = 1; ; attempt++) {
          try {
            const _id = await nextAuditId(c, s);
            await c.audit.insertOne({ ...event, _id, targetKey: targetKey(event.target) }, s);
            return;
          } catch (err) {
            if (!isDuplicate(err) || attempt === MAX_DRAWS) throw err;
          }
        }
      },
    },
  };
}
