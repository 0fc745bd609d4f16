// Webhook delivery, apart from the changes it reports: a bus listener queues
// deliveries in the store after the change has committed, and a background
// loop sends them, signed, each with a timeout, retrying failures with
// exponential backoff until the retry period ends. A slow or dead receiver
// holds up only its own delivery. The queue lives in the store, and each
// attempt is leased there, so with several instances each delivery is sent
// by one of them, and a crashed instance's deliveries are taken up by another.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Network } from '../domain/ip.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { backoff, signature, webhookSecretContext, type DeliveryRecord } from '../domain/webhook.ts';
import type { EventBus, ProvEvent } from '../provisioning/change/events.ts';
import type { Store } from '../storage/store.ts';
import { occurrences } from './event-mapping.ts';
import { postOnce } from './post.ts';

export interface DispatcherDeps {
  store: Store;
  box: SecretBox;
  clock: () => Date;
  log: Logger;
  events: EventBus;
  /** This instance's name in delivery leases. */
  holder: string;
  timeoutMs: number;
  /** PROV_WEBHOOK_ALLOW: inside ranges a receiver may be in after all. */
  allow?: readonly Network[];
  retryForMs: number;
  backoffMs: number;
  pollMs: number;
}

const MAX_BACKOFF_MS = 3_600_000;
const IN_FLIGHT = 20;

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

export function createWebhookDispatcher(deps: DispatcherDeps) {
  const { store, box, clock, log, events, holder, timeoutMs, retryForMs, backoffMs, pollMs, allow = [] } = deps;
  let unsubscribe: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  const queued = new Set<Promise<void>>();
  const inflight = new Set<Promise<void>>();
  // Stopping abandons attempts in flight: their leases run out and they are sent again later.
  let stopping = new AbortController();

  async function enqueue(event: ProvEvent): Promise<void> {
    const found = await occurrences(event, store);
    if (found.length === 0) return;
    const hooks = await store.listWebhooks();
    const now = clock().toISOString();
    const deliveries: DeliveryRecord[] = [];
    for (const o of found) {
      const eventId = randomUUID();
      const body = JSON.stringify({ id: eventId, type: o.event, at: o.at, data: o.data });
      for (const hook of hooks.filter((h) => h.events.includes(o.event))) {
        deliveries.push({
          id: randomUUID(), webhookId: hook.id, eventId, event: o.event, body, createdAt: now, state: 'pending',
          attempts: 0, nextAttemptAt: now, lastAttemptAt: null, lastStatus: null, lastError: null, deliveredAt: null,
        });
      }
    }
    if (deliveries.length === 0) return;
    await store.enqueueDeliveries(deliveries);
    kick();
  }

  async function attempt(d: DeliveryRecord): Promise<void> {
    const hook = await store.getWebhook(d.webhookId);
    if (!hook) return;
    const timestamp = String(Math.floor(clock().getTime() / 1000));
    const { status, problem } = await postOnce(hook.url, d.body, {
      'content-type': 'application/json',
      'user-agent': 'sip-provisioning-webhooks',
      'x-prov-event': d.event,
      'x-prov-delivery': d.id,
      'x-prov-timestamp': timestamp,
      'x-prov-signature': signature(box.open(hook.secretSealed, webhookSecretContext(hook.id)), timestamp, d.body),
    }, { timeoutMs, signal: stopping.signal, allow });
    // The record says only whether a receiver answered, and with what; never why none did.
    const error = status === null ? 'not reached' : status < 200 || status > 299 ? `HTTP ${status}` : null;
    if (stopping.signal.aborted) return;
    const now = clock();
    const attempts = d.attempts + 1;
    const gaveUp = error !== null && now.getTime() - Date.parse(d.createdAt) >= retryForMs;
    await store.finishDelivery(d.id, holder, {
      state: error === null ? 'delivered' : gaveUp ? 'failed' : 'pending',
      attempts,
      nextAttemptAt: error === null || gaveUp ? now.toISOString() : new Date(now.getTime() + backoff(attempts, backoffMs, MAX_BACKOFF_MS)).toISOString(),
      lastAttemptAt: now.toISOString(),
      lastStatus: status,
      lastError: error,
      deliveredAt: error === null ? now.toISOString() : null,
    });
    if (error) log.warn({ webhook: hook.id, delivery: d.id, event: d.event, attempts, error, problem, gaveUp }, 'webhook delivery failed');
  }

  /**
   * Starts attempts for what is due, up to IN_FLIGHT at once; each attempt
   * runs on its own, so a receiver that hangs until its timeout holds up
   * only its own delivery. One fill at a time per instance.
   */
  async function fill(): Promise<void> {
    const room = IN_FLIGHT - inflight.size;
    if (room <= 0) return;
    const now = clock();
    const lease = new Date(now.getTime() + timeoutMs + 30_000).toISOString();
    const due = await store.claimDeliveries(holder, now.toISOString(), lease, room);
    for (const d of due) {
      const job: Promise<void> = attempt(d)
        .catch((err) => log.error({ err, delivery: d.id }, 'webhook delivery broke'))
        .finally(() => {
          inflight.delete(job);
          kick();
        });
      inflight.add(job);
    }
    if (due.length === room) again = true;
  }

  function kick(): void {
    if (!unsubscribe) return;
    if (running) {
      again = true;
      return;
    }
    running = fill()
      .catch((err) => log.error({ err }, 'webhook queue could not be read'))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  return {
    start(): void {
      if (unsubscribe) return;
      stopping = new AbortController();
      unsubscribe = events.subscribe((event) => {
        // After the fact, never inside the change: the listener only starts the work.
        const job = enqueue(event)
          .catch((err) => log.error({ err, event: event.type }, 'webhook deliveries could not be queued'))
          .finally(() => queued.delete(job));
        queued.add(job);
      });
      timer = setInterval(kick, pollMs);
      timer.unref();
      kick();
    },

    async stop(): Promise<void> {
      unsubscribe?.();
      unsubscribe = null;
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.all(queued);
      await running;
      stopping.abort();
      await Promise.all(inflight);
    },
  };
}
