// Webhooks: where to tell the systems around the PBX what happened here, and
// the signed deliveries that do it. The signing secret is kept sealed and is
// shown once, when the webhook is made.
import { createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_EVENTS = ['secret.changed', 'device.synced', 'device.detected', 'device.notify-failed', 'link.used', 'registration.changed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEvent[];
  secretSealed: string;
  createdAt: string;
  createdBy: string;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  /** One event delivered to several webhooks keeps one id, so receivers can deduplicate. */
  eventId: string;
  event: WebhookEvent;
  /** The exact JSON bytes signed and sent; never holds a secret. */
  body: string;
  createdAt: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  /** HTTP status of the last attempt, null when it got no answer. */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export interface DeliveryOutcome {
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
}

export const webhookSecretContext = (id: string) => `webhook:${id}:secret`;

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, what X-Prov-Signature carries. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** Exponential backoff: base, 2×base, 4×base… capped. */
export function backoff(attempts: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

export function publicWebhook(w: WebhookRecord) {
  return { id: w.id, url: w.url, events: w.events, createdAt: w.createdAt, createdBy: w.createdBy };
}

export function publicDelivery(d: DeliveryRecord) {
  const { body: _body, webhookId: _w, ...rest } = d;
  return rest;
}
