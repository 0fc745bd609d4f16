// The Store contract for the registrar feed's lookup and for webhooks: an
// extension is found by its auth user; a webhook's deliveries are queued,
// leased to one holder at a time, finished only by their holder, listed
// newest first, and deleted with the webhook.
import type { TestFn } from 'ava';
import type { DeliveryRecord, WebhookRecord } from '../../server/domain/webhook.ts';
import { contractTests, ext, type Open } from './store-contract.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:05:00.000Z';
const T2 = '2024-05-01T10:10:00.000Z';

const hook = (id: string): WebhookRecord => ({
  id, url: `https://hooks.example.com/${id}`, events: ['secret.changed'], secretSealed: 'v1:a:b:c', createdAt: T0, createdBy: 'admin',
});

const delivery = (id: string, webhookId: string, over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  id, webhookId, eventId: `e-${id}`, event: 'secret.changed', body: `{"id":"${id}"}`, createdAt: T0, state: 'pending',
  attempts: 0, nextAttemptAt: T0, lastAttemptAt: null, lastStatus: null, lastError: null, deliveredAt: null, ...over,
});

export function webhookContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('extensions are found by auth user, and an edit of it moves the lookup', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001', { authUsername: 'desk' }) },
      { op: 'insert-extension', record: ext('1002', { authUsername: 'desk' }) },
      { op: 'insert-extension', record: ext('1003') },
    ]);
    t.deepEqual((await s.findExtensionsByAuthUsername('desk')).map((e) => e.number), ['1001', '1002']);
    t.deepEqual((await s.findExtensionsByAuthUsername('1003')).map((e) => e.number), ['1003']);
    t.deepEqual(await s.findExtensionsByAuthUsername('nobody'), []);
    await s.commit([{ op: 'update-extension', record: ext('1002', { authUsername: 'other', rev: 2 }), expectRev: 1 }]);
    t.deepEqual((await s.findExtensionsByAuthUsername('desk')).map((e) => e.number), ['1001']);
    t.deepEqual((await s.findExtensionsByAuthUsername('other')).map((e) => e.number), ['1002']);
  });

  it('webhook: deliveries are leased to one holder until the lease ends', async (t, s) => {
    await s.commit([{ op: 'insert-webhook', record: hook('w1') }]);
    t.deepEqual((await s.listWebhooks()).map((w) => w.id), ['w1']);
    t.deepEqual(await s.getWebhook('w1'), hook('w1'));
    await s.enqueueDeliveries([delivery('d1', 'w1'), delivery('d2', 'w1', { nextAttemptAt: T2 }), delivery('d3', 'gone')]);
    const a = await s.claimDeliveries('a', T0, T1, 10);
    t.deepEqual(a.map((d) => d.id), ['d1'], 'only what is due; nothing for a missing webhook');
    t.deepEqual(await s.claimDeliveries('b', T0, T1, 10), [], 'leased to a');
    const b = await s.claimDeliveries('b', T1, T2, 10);
    t.deepEqual(b.map((d) => d.id), ['d1'], 'an expired lease is handed out again');
    const outcome = { state: 'delivered' as const, attempts: 1, nextAttemptAt: T1, lastAttemptAt: T1, lastStatus: 200, lastError: null, deliveredAt: T1 };
    await s.finishDelivery('d1', 'a', outcome);
    t.is((await s.listDeliveries('w1', 10)).find((d) => d.id === 'd1')!.state, 'pending', 'a lost lease finishes nothing');
    await s.finishDelivery('d1', 'b', outcome);
    const log = await s.listDeliveries('w1', 10);
    t.like(log.find((d) => d.id === 'd1'), { state: 'delivered', attempts: 1, lastStatus: 200, deliveredAt: T1 });
    t.deepEqual((await s.claimDeliveries('c', T2, T2, 10)).map((d) => d.id), ['d2'], 'a delivered one is never handed out');
  });

  it('webhook: the log is newest first and goes with its webhook', async (t, s) => {
    await s.commit([{ op: 'insert-webhook', record: hook('w1') }, { op: 'insert-webhook', record: hook('w2') }]);
    await s.enqueueDeliveries([
      delivery('d1', 'w1', { createdAt: T0 }),
      delivery('d2', 'w1', { createdAt: T1 }),
      delivery('d3', 'w2', { createdAt: T1 }),
    ]);
    t.deepEqual((await s.listDeliveries('w1', 10)).map((d) => d.id), ['d2', 'd1']);
    t.deepEqual((await s.listDeliveries('w1', 1)).map((d) => d.id), ['d2']);
    await s.commit([{ op: 'delete-webhook', id: 'w1' }]);
    t.is(await s.getWebhook('w1'), null);
    t.deepEqual(await s.listDeliveries('w1', 10), []);
    t.deepEqual((await s.claimDeliveries('a', T2, T2, 10)).map((d) => d.id), ['d3']);
  });
}
