// Webhook use cases for the admin API: register a receiver (its signing
// secret is in this one answer only), list, delete, and read the delivery log.
import { randomUUID } from 'node:crypto';
import { InvalidInput, NotFound } from '../domain/errors.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Actor } from '../domain/token.ts';
import {
  newWebhookSecret,
  publicDelivery,
  publicWebhook,
  webhookSecretContext,
  type WebhookEvent,
  type WebhookRecord,
} from '../domain/webhook.ts';
import { auditOp } from '../provisioning/audit/audit-op.ts';
import type { RunChange } from '../provisioning/change/change-runner.ts';
import type { Store } from '../storage/store.ts';
import type { Network } from '../domain/ip.ts';
import { destinationProblem } from './destination.ts';

export interface WebhooksDeps {
  store: Store;
  box: SecretBox;
  clock: () => Date;
  runChange: RunChange;
  /** PROV_WEBHOOK_ALLOW: inside ranges a receiver may be in after all. */
  allow?: readonly Network[];
}

const target = (id: string) => `webhook:${id}`;

export type Webhooks = ReturnType<typeof createWebhooks>;

export function createWebhooks({ store, box, clock, runChange, allow = [] }: WebhooksDeps) {
  async function load(id: string): Promise<WebhookRecord> {
    const hook = await store.getWebhook(id);
    if (!hook) throw new NotFound(`webhook ${id} does not exist`, 'webhook-not-found');
    return hook;
  }

  return {
    async create(actor: Actor, input: { url: string; events: WebhookEvent[] }) {
      const url = new URL(input.url);
      // Credentials in the URL would show in every listing: the signature is the receiver's proof.
      if (url.username || url.password) {
        throw new InvalidInput('url may not hold a user or password; verify X-Prov-Signature instead', 'invalid-url');
      }
      const problem = await destinationProblem(url, allow);
      if (problem) throw new InvalidInput(problem, 'forbidden-destination');
      const secret = newWebhookSecret();
      const id = randomUUID();
      const at = clock().toISOString();
      const record: WebhookRecord = {
        id,
        url: url.toString(),
        events: [...new Set(input.events)],
        secretSealed: box.seal(secret, webhookSecretContext(id)),
        createdAt: at,
        createdBy: actor.name,
      };
      await runChange(async () => ({
        ops: [
          { op: 'insert-webhook', record },
          auditOp(actor, at, 'webhook.created', target(id), { url: `${url.origin}${url.pathname}`, events: record.events }),
        ],
        result: undefined,
      }));
      return { ...publicWebhook(record), secret };
    },

    async list() {
      return (await store.listWebhooks()).map(publicWebhook);
    },

    async remove(actor: Actor, id: string) {
      await runChange(async () => {
        await load(id);
        return {
          ops: [{ op: 'delete-webhook', id }, auditOp(actor, clock().toISOString(), 'webhook.deleted', target(id))],
          result: undefined,
        };
      });
    },

    async deliveries(id: string, limit: number) {
      await load(id);
      return (await store.listDeliveries(id, limit)).map(publicDelivery);
    },
  };
}
