// Webhooks and their delivery queue on MongoDB. Leasing a delivery is one
// conditional update per delivery, so two instances cannot attempt the same
// one; a deleted webhook takes its delivery log with it.
import type { DeliveryRecord } from '../../domain/webhook.ts';
import type { Collections, DeliveryDoc } from './collections.ts';
import { all, engine, one, type MongoPart } from './part.ts';

/** A queued delivery as the Store's record, without its lease. */
function toDelivery(doc: DeliveryDoc): DeliveryRecord {
  const { _id: _i, leaseHolder: _h, leaseUntil: _u, ...record } = doc;
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
          // One conditional update per delivery: two instances cannot lease the same one.
          while (out.length < limit) {
            const doc = await c.deliveries.findOneAndUpdate(
              {
                state: 'pending',
                nextAttemptAt: { $lte: now },
                $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }],
                // A lease that ends at `now` is over at once: without this the loop would lease it again.
                _id: { $nin: out.map((d) => d.id) },
              },
              { $set: { leaseHolder: holder, leaseUntil } },
              { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'after' },
            );
            if (!doc) break;
            out.push(toDelivery(doc));
          }
          return out;
        });
      },
      finishDelivery(id, holder, outcome) {
        return engine(async () => {
          await c.deliveries.updateOne({ _id: id, leaseHolder: holder }, { $set: { ...outcome, leaseHolder: null, leaseUntil: null } });
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
