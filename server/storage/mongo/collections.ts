// The MongoDB collections and the document shapes in them, shared by every
// entity module in this folder: several entities' writes touch another's
// collection (a deleted extension takes its links and renders with it).
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { AuditEvent } from '../../domain/audit.ts';
import type { DeviceRecord } from '../../domain/device.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import type { LinkRecord } from '../../domain/link.ts';
import type { TokenRecord } from '../../domain/token.ts';
import type { SessionRecord, UserRecord } from '../../domain/user.ts';
import type { DeliveryRecord, WebhookRecord } from '../../domain/webhook.ts';
import type { RegistrationRecord } from '../../domain/registration.ts';
import type { SiteRecord } from '../../domain/site.ts';
import type { RenderRecord, UploadRecord } from '../store.ts';

export type ExtensionDoc = ExtensionRecord & { _id: string };
/**
 * Fetch and claim state live in the device document but are only ever $set
 * on their own; w counts the document's writes (rewrite() in exclusive.ts).
 */
export type DeviceDoc = DeviceRecord & { _id: string; lineCount: number; seenCount?: number; w?: number };
export type TokenDoc = TokenRecord & { _id: string };
/** uses, lastUsedAt and lastSecretVersion here are what was counted before uses were documents of their own (LinkUseDoc). */
export type LinkDoc = LinkRecord & { _id: string };
/** One counted use of a link: the n-th, which one insert of `${link}#${n}` takes (links.ts). */
export type LinkUseDoc = { _id: string; link: string; extension: string; n: number; at: string; secretVersion: number };
export type RenderDoc = RenderRecord & { _id: string };
export type UploadDoc = UploadRecord & { _id: string };
export type AuditDoc = Omit<AuditEvent, 'id'> & { _id: number; targetKey: string };
export type MetaDoc = { _id: string; value: string };
export type CounterDoc = { _id: string; seq: number };
export type LeaseDoc = { _id: string; holder: string; until: string; w?: number };
/** A writer's hold on moving one document from one state (exclusive.ts). */
export type LockDoc = { _id: string; at: Date; by: string };
export type UserDoc = UserRecord & { _id: string };
export type SessionDoc = SessionRecord & { _id: string };
export type WebhookDoc = WebhookRecord & { _id: string };
export type DeliveryDoc = DeliveryRecord & { _id: string; leaseHolder: string | null; leaseUntil: string | null; w?: number };
export type RegistrationDoc = RegistrationRecord & { _id: string };
export type SiteDoc = SiteRecord & { _id: string };

export const renderId = (owner: string, file: string) => `${owner}\u0000${file}`;
export const uploadId = (mac: string, file: string) => `${mac}\u0000${file}`;
export const targetKey = (target: string) => target.slice(target.indexOf(':') + 1);

export function strip<T extends { _id: unknown }>(doc: T | null): Omit<T, '_id'> | null {
  if (!doc) return null;
  const { _id: _ignored, ...rest } = doc;
  return rest;
}

/** A device document as the Store's record: fetch, claim and NOTIFY state included. */
export function toDevice(doc: DeviceDoc): DeviceRecord {
  const { _id: _i, lineCount: _l, seenCount, w: _w, ...record } = doc;
  // Written before sightings were kept apart: a fetch that served no version
  // was a sighting, and one without a credential a claim delivery.
  if (record.lastFetch && record.fetchedVersion === null && record.lastSeen === undefined) {
    const { credential: _c, ...seen } = record.lastFetch;
    return { ...record, lastFetch: null, lastSeen: { ...seen, count: doc.fetchCount ?? 1 }, fetchCount: 0 };
  }
  // A lastFetch without the key is from then too; a device inserted with a
  // fetch that names no proof has it as null (devices.ts), kept as no proof.
  if (record.lastFetch && record.lastFetch.credential === undefined) record.lastFetch = { ...record.lastFetch, credential: 'claim' };
  else if (record.lastFetch && record.lastFetch.credential === null) {
    const { credential: _none, ...fetch } = record.lastFetch;
    record.lastFetch = fetch;
  }
  const lastSeen = record.lastSeen ? { ...record.lastSeen, count: seenCount ?? 1 } : null;
  return { ...record, lastSeen, fetchCount: doc.fetchCount ?? 0 };
}

export const isDuplicate = (err: unknown) => err instanceof MongoServerError && err.code === 11000;
const NAMESPACE_EXISTS = 48;

export interface Collections {
  meta: Collection<MetaDoc>;
  extensions: Collection<ExtensionDoc>;
  devices: Collection<DeviceDoc>;
  tokens: Collection<TokenDoc>;
  links: Collection<LinkDoc>;
  linkUses: Collection<LinkUseDoc>;
  renders: Collection<RenderDoc>;
  uploads: Collection<UploadDoc>;
  audit: Collection<AuditDoc>;
  counters: Collection<CounterDoc>;
  leases: Collection<LeaseDoc>;
  users: Collection<UserDoc>;
  sessions: Collection<SessionDoc>;
  webhooks: Collection<WebhookDoc>;
  deliveries: Collection<DeliveryDoc>;
  registrations: Collection<RegistrationDoc>;
  sites: Collection<SiteDoc>;
  locks: Collection<LockDoc>;
}

const NAMES = ['meta', 'extensions', 'devices', 'tokens', 'links', 'renders', 'uploads', 'audit', 'counters', 'leases', 'users', 'sessions', 'webhooks', 'webhook_deliveries', 'registrations', 'sites', 'link_uses', 'write_locks'] as const;

export function collections(db: Db): Collections {
  return {
    meta: db.collection('meta'),
    extensions: db.collection('extensions'),
    devices: db.collection('devices'),
    tokens: db.collection('tokens'),
    links: db.collection('links'),
    linkUses: db.collection('link_uses'),
    renders: db.collection('renders'),
    uploads: db.collection('uploads'),
    audit: db.collection('audit'),
    counters: db.collection('counters'),
    leases: db.collection('leases'),
    users: db.collection('users'),
    sessions: db.collection('sessions'),
    webhooks: db.collection('webhooks'),
    deliveries: db.collection('webhook_deliveries'),
    registrations: db.collection('registrations'),
    sites: db.collection('sites'),
    locks: db.collection('write_locks'),
  };
}

/** Collections and indexes, created at start: unique MAC, number and token hash come with _id and these. */
export async function prepare(db: Db, c: Collections): Promise<void> {
  // Collections exist before the first transaction needs them (creating one
  // inside a transaction is not allowed on every server version).
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((x) => x.name));
  for (const name of NAMES) {
    if (existing.has(name)) continue;
    try {
      await db.createCollection(name);
    } catch (err) {
      // Another instance starting at the same moment made it first.
      if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
    }
  }
  await c.devices.createIndex({ 'lines.extension': 1 });
  await c.devices.createIndex({ vendor: 1 });
  await c.devices.createIndex({ lineCount: 1, createdAt: 1 });
  await c.devices.createIndex({ 'notify.state': 1 });
  await c.tokens.createIndex({ hash: 1 }, { unique: true });
  await c.links.createIndex({ tokenHash: 1 }, { unique: true });
  await c.links.createIndex({ extension: 1, createdAt: -1 });
  await c.linkUses.createIndex({ link: 1, n: -1 });
  await c.linkUses.createIndex({ extension: 1 });
  await c.renders.createIndex({ owner: 1, file: 1 }, { unique: true });
  await c.uploads.createIndex({ mac: 1, file: 1 }, { unique: true });
  await c.audit.createIndex({ action: 1, _id: -1 });
  await c.audit.createIndex({ target: 1, _id: -1 });
  await c.audit.createIndex({ targetKey: 1, _id: -1 });
  await c.audit.createIndex({ at: -1 });
  await c.sessions.createIndex({ username: 1 });
  await c.sessions.createIndex({ expiresAt: 1 });
  await c.extensions.createIndex({ authUsername: 1 });
  await c.deliveries.createIndex({ state: 1, nextAttemptAt: 1 });
  await c.deliveries.createIndex({ webhookId: 1, createdAt: -1 });
  await c.registrations.createIndex({ extension: 1, at: -1 });
}
