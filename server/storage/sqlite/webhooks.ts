// Webhooks and their delivery queue in SQLite. The queue is also the log; a
// lease on each row lets one instance at a time attempt a delivery, and a
// delivery for a webhook deleted meanwhile is never queued.
import type Database from 'better-sqlite3';
import { guard, type SqlitePart } from './part.ts';
import { parse, parseAll, toDelivery, type DeliveryRow, type Row } from './rows.ts';

export function sqliteWebhooks(db: Database.Database): SqlitePart<'webhooks'> {
  const q = {
    getWebhook: db.prepare<[string], Row>('SELECT doc FROM webhooks WHERE id = ?'),
    listWebhooks: db.prepare<[], Row>('SELECT doc FROM webhooks ORDER BY created_at, id'),
    insertWebhook: db.prepare('INSERT INTO webhooks (id, created_at, doc) VALUES (?, ?, ?)'),
    deleteWebhook: db.prepare('DELETE FROM webhooks WHERE id = ?'),
    insertDelivery: db.prepare(
      `INSERT INTO webhook_deliveries (id, webhook_id, event_id, event, body, created_at, state, attempts,
         next_attempt_at, last_attempt_at, last_status, last_error, delivered_at)
       SELECT @id, @webhookId, @eventId, @event, @body, @createdAt, @state, @attempts, @nextAttemptAt,
         @lastAttemptAt, @lastStatus, @lastError, @deliveredAt
       WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = @webhookId)`,
    ),
    dueDeliveries: db.prepare<{ now: string; limit: number }, DeliveryRow>(
      `SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= @now
         AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_attempt_at, id LIMIT @limit`,
    ),
    leaseDelivery: db.prepare('UPDATE webhook_deliveries SET lease_holder = ?, lease_until = ? WHERE id = ?'),
    finishDelivery: db.prepare(
      `UPDATE webhook_deliveries SET state = @state, attempts = @attempts, next_attempt_at = @nextAttemptAt,
         last_attempt_at = @lastAttemptAt, last_status = @lastStatus, last_error = @lastError,
         delivered_at = @deliveredAt, lease_holder = NULL, lease_until = NULL
       WHERE id = @id AND lease_holder = @holder`,
    ),
    listDeliveries: db.prepare<[string, number], DeliveryRow>(
      'SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?',
    ),
  };
  return {
    reads: {
      async getWebhook(id) {
        return parse(q.getWebhook.get(id));
      },
      async listWebhooks() {
        return parseAll(q.listWebhooks.all());
      },
      async enqueueDeliveries(deliveries) {
        if (deliveries.length === 0) return;
        guard(() =>
          db
            .transaction(() => {
              for (const d of deliveries) q.insertDelivery.run(d);
            })
            .immediate(),
        );
      },
      async claimDeliveries(holder, now, leaseUntil, limit) {
        return guard(() =>
          db
            .transaction(() => {
              const due = q.dueDeliveries.all({ now, limit });
              for (const d of due) q.leaseDelivery.run(holder, leaseUntil, d.id);
              return due.map(toDelivery);
            })
            .immediate(),
        );
      },
      async finishDelivery(id, holder, o) {
        guard(() => q.finishDelivery.run({ id, holder, ...o }));
      },
      async listDeliveries(webhookId, limit) {
        return q.listDeliveries.all(webhookId, limit).map(toDelivery);
      },
    },
    writes: {
      'insert-webhook': ({ record }) => void q.insertWebhook.run(record.id, record.createdAt, JSON.stringify(record)),
      'delete-webhook': (op) => void q.deleteWebhook.run(op.id),
    },
  };
}
