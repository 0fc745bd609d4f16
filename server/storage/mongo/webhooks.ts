// Webhooks and their delivery queue on MongoDB. A delivery is leased and
// finished through rewrite() (exclusive.ts), so two instances cannot lease
// the same one, nor a finish and a new lease undo each other; a deleted
// webhook takes its delivery log with it.
import type { Filter } from 'mongodb';
import type { DeliveryRecord } from '../../domain/webhook.ts';
import type { Collections, DeliveryDoc } from './collections.ts';
import { rewrite } from './exclusive.ts';
import { all, engine, one, type InBatch, type MongoPart } from './part.ts';

/** The queue is written outside any batch. */
const none: InBatch = { session: undefined };

/** A queued delivery as the Store's record, without its lease. */
function toDelivery(doc: DeliveryDoc): DeliveryRecord {
  const { _id: _i, leaseHolder: _h, leaseUntil: _u, w: _w, ...record } = doc;
  return record;
}

export function mongoWebhooks(c: Collections): MongoPart<'webhooks'> {
  return {
    reads: {
      getWebhook(id) {
        return one(() => c.webhooks.findOne({ _id: id }));
      },
      listWebhooks() {
        return all(() => c.webhooks.find().sort({ createdAt: 1, _id: 1 }));
      },
      enqueueDeliveries(deliveries) {
        return engine(async () => {
          for (const d of deliveries) {
            // A webhook deleted meanwhile gets nothing queued (its log went with it).
            if (!(await c.webhooks.findOne({ _id: d.webhookId }))) continue;
            await c.deliveries.insertOne({ ...d, _id: d.id, leaseHolder: null, leaseUntil: null });
          }
        });
      },
      claimDeliveries(holder, now, leaseUntil, limit) {
        return engine(async () => {
          const out: DeliveryRecord[] = [];
          // Leased here, or being leased by another instance this moment: not asked about again.
          const passed: string[] = [];
          const due = (d: DeliveryDoc) => d.state === 'pending' && d.nextAttemptAt <= now && (d.leaseUntil === null || d.leaseUntil <= now);
          while (out.length < limit) {
            const filter: Filter<DeliveryDoc> = {
              state: 'pending',
              nextAttemptAt: { $lte: now },
              $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
              _id: { $nin: passed },
            };
            const found = await c.deliveries.find(filter).sort({ nextAttemptAt: 1, _id: 1 }).limit(limit - out.length).toArray();
            if (found.length === 0) break;
            for (const { _id: id } of found) {
              passed.push(id);
              await rewrite(c, c.deliveries, id, none, (doc) => {
                if (!doc || !due(doc)) return null;
                return async (pinned, w) => {
                  const r = await c.deliveries.updateOne(pinned, { $set: { leaseHolder: holder, leaseUntil, w } });
                  if (r.matchedCount === 1) out.push(toDelivery(doc));
                  return r.matchedCount === 1;
                };
              }, 'skip');
            }
          }
          return out;
        });
      },
      finishDelivery(id, holder, outcome) {
        return engine(async () => {
          await rewrite(c, c.deliveries, id, none, (doc) => {
            if (doc?.leaseHolder !== holder) return null;
            return async (pinned, w) => (await c.deliveries.updateOne(pinned, { $set: { ...outcome, leaseHolder: null, leaseUntil: null, w } })).matchedCount === 1;
          });
        });
      },
      listDeliveries(webhookId, limit) {
        return engine(async () => {
          const docs = await c.deliveries.find({ webhookId }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
          return docs.map(toDelivery);
        });
      },
    },
    writes: {
      'insert-webhook': async ({ record }, s) => {
        await c.webhooks.insertOne({ ...record, _id: record.id }, s);
      },
      'delete-webhook': async (op, s) => {
        await c.webhooks.deleteOne({ _id: op.id }, s);
        await c.deliveries.deleteMany({ webhookId: op.id }, s);
      },
    },
  };
}
