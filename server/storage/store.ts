// The Store port: everything the server keeps, behind an async interface that
// both the embedded SQLite store and the MongoDB store implement. Records go
// in and come out as plain objects; secrets arrive already sealed.
//
// Writes go through commit(): one batch of operations applied all-or-nothing.
// Each mutable record carries `rev`; an update or delete names the rev it was
// planned from, and a batch whose rev no longer matches is refused whole with
// RevisionMismatch so the use case can re-plan on fresh data. This is what
// keeps read-modify-write correct across several server instances.
import type { AuditEvent, AuditQuery } from '../domain/audit.ts';
import type { DeviceRecord, DeviceStatus, FetchProof } from '../domain/device.ts';
import type { ExtensionRecord } from '../domain/extension.ts';
import type { LinkRecord } from '../domain/link.ts';
import type { NotifyRecord, NotifyStateName } from '../domain/notify.ts';
import type { RegistrationRecord } from '../domain/registration.ts';
import type { SiteRecord } from '../domain/site.ts';
import type { TokenRecord } from '../domain/token.ts';
import type { SessionRecord, UserRecord } from '../domain/user.ts';
import type { DeliveryOutcome, DeliveryRecord, WebhookRecord } from '../domain/webhook.ts';

/**
 * A rendered file. The body is sealed: it can hold a SIP secret. owner is a
 * MAC, `vendor:<id>` or `extension:<number>`; deleting a device or an
 * extension deletes the renders it owns.
 */
export interface RenderRecord {
  owner: string;
  file: string;
  /** The device's configVersion when these bytes were rendered (a counter for vendor files). */
  version: number;
  renderedAt: string;
  sealedBody: string;
  /**
   * The keyed fingerprint of the plaintext (SecretBox.fingerprint), to tell a
   * re-render that changed nothing without opening the body. Absent on
   * renders stored before it was kept; those are compared by opening.
   */
  fingerprint?: string;
}

/** A file a phone uploaded (an override or a log), sealed like renders. */
export interface UploadRecord {
  mac: string;
  file: string;
  receivedAt: string;
  sealedBody: string;
}

export interface FetchRecord {
  /** The configVersion served; null when the request served nothing (a sighting). */
  version: number | null;
  at: string;
  ip: string;
  userAgent: string;
  file: string;
  /**
   * How the phone proved itself; null for a sighting, a request that proved
   * nothing, which the store keeps as the device's lastSeen and never as its
   * lastFetch.
   */
  credential: FetchProof | null;
}

/** Where a guard's counter lives in meta; getMeta(guardKey(name)) reads it while planning. */
export const guardKey = (name: string) => `guard:${name}`;

/** A guard's value for planning: 0 when it was never moved. */
export async function readGuard(store: Pick<Store, 'getMeta'>, name: string): Promise<number> {
  return Number((await store.getMeta(guardKey(name))) ?? '0');
}

export type WriteOp =
  | { op: 'insert-extension'; record: ExtensionRecord }
  | { op: 'update-extension'; record: ExtensionRecord; expectRev: number }
  | { op: 'delete-extension'; number: string; expectRev: number }
  /** Writes nothing; refuses the batch with RevisionMismatch unless the extension is at this revision. */
  | { op: 'expect-extension'; number: string; rev: number }
  /**
   * A rule that spans records (at least one admin), held by the commit
   * itself: refuses the batch with RevisionMismatch unless the named guard
   * (a counter in meta, 0 when missing) is at `expect`, and moves it on.
   * Every change that could break the rule takes the guard it read while
   * planning, so of two such changes planned at once one is re-planned.
   */
  | { op: 'guard'; name: string; expect: number }
  | { op: 'insert-site'; record: SiteRecord }
  | { op: 'update-site'; record: SiteRecord; expectRev: number }
  | { op: 'delete-site'; name: string; expectRev: number }
  | { op: 'insert-device'; record: DeviceRecord }
  | { op: 'update-device'; record: DeviceRecord; expectRev: number }
  | { op: 'delete-device'; mac: string; expectRev: number }
  | { op: 'insert-token'; record: TokenRecord }
  | { op: 'delete-token'; id: string }
  | { op: 'put-render'; render: RenderRecord }
  | { op: 'delete-render'; owner: string; file: string }
  | { op: 'put-upload'; upload: UploadRecord }
  | { op: 'delete-upload'; mac: string; file: string }
  | { op: 'open-claim'; mac: string; until: string }
  | { op: 'close-claim'; mac: string }
  /** Closes the claim window for the one delivery it allows; refused with ClaimUnavailable unless it is open at `at`. */
  | { op: 'use-claim'; mac: string; at: string }
  | { op: 'insert-link'; record: LinkRecord }
  /** Counts one download; refused with LinkUnavailable unless the link is active at `at`. */
  | { op: 'use-link'; id: string; at: string; secretVersion: number }
  | { op: 'revoke-link'; id: string; at: string }
  | { op: 'audit'; event: AuditEvent }
  /** `first`: refused with DuplicateKey when any user exists (the setup page's one admin). */
  | { op: 'insert-user'; record: UserRecord; first?: boolean }
  | { op: 'update-user'; record: UserRecord; expectRev: number }
  /** Deletes the user's sessions with it. */
  | { op: 'delete-user'; username: string; expectRev: number }
  | { op: 'insert-session'; record: SessionRecord }
  | { op: 'delete-session'; idHash: string }
  /** Signs the user out everywhere (a password change, a role change). */
  | { op: 'delete-user-sessions'; username: string }
  /** Drops sessions whose absolute end or idle limit (lastSeenAt before idleBefore) has passed. */
  | { op: 'delete-expired-sessions'; now: string; idleBefore: string }
  | { op: 'insert-webhook'; record: WebhookRecord }
  /** Deletes the webhook's delivery log with it. */
  | { op: 'delete-webhook'; id: string };

/**
 * Keyset paging: items come in key order (number, MAC), those after `after`
 * (the last key of the previous page), at most `limit` of them. A page stays
 * right while items are added or removed: nothing is skipped or repeated.
 */
export interface PageQuery {
  after?: string;
  limit?: number;
}

export interface ExtensionQuery extends PageQuery {
  /** Case-insensitive part of the number, display name, auth username or label. */
  q?: string;
  /** Extensions of this site (those written before sites existed are in the default one). */
  site?: string;
}

export interface DeviceQuery extends PageQuery {
  vendor?: string;
  /** Devices with at least one line on this extension. */
  extension?: string;
  /** Only devices without lines, oldest first (not paged). */
  unassigned?: boolean;
  status?: DeviceStatus;
  /** Case-insensitive part of the MAC (12 hex, separators removed by the caller), label, model or a line's extension. */
  q?: string;
  /** Devices whose last check-sync NOTIFY outcome, as stored, is this. */
  notify?: NotifyStateName;
  /** Devices placed in this site by the admin (not those following their first line's extension). */
  site?: string;
}

export interface Store {
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Small named values the server keeps about itself (e.g. the key check). */
  getMeta(key: string): Promise<string | null>;
  /** Sets the value unless one exists; returns whichever value is stored. */
  initMeta(key: string, value: string): Promise<string>;

  getExtension(number: string): Promise<ExtensionRecord | null>;
  /** In number order; every extension unless the query filters or pages. */
  listExtensions(query?: ExtensionQuery): Promise<ExtensionRecord[]>;
  getSite(name: string): Promise<SiteRecord | null>;
  /** By name. */
  listSites(): Promise<SiteRecord[]>;

  /** Extensions with this SIP auth user (an index lookup: the registrar feed asks per REGISTER). */
  findExtensionsByAuthUsername(authUsername: string): Promise<ExtensionRecord[]>;

  /**
   * fetchedVersion and lastFetch come from recordFetch(): insert-device may
   * seed them, update-device leaves them as they are, so an admin's edit and
   * a phone's fetch never overwrite each other.
   */
  getDevice(mac: string): Promise<DeviceRecord | null>;
  listDevices(query?: DeviceQuery): Promise<DeviceRecord[]>;
  /** Records a phone's fetch; a no-op for a device that no longer exists. */
  recordFetch(mac: string, fetch: FetchRecord): Promise<void>;
  /** Records a device's check-sync NOTIFY outcome (device.notify); a no-op for a device that no longer exists. */
  recordNotify(mac: string, notify: NotifyRecord): Promise<void>;
  /** Records many fetches, in order, in one write (the coalesced fetch records); as recordFetch otherwise. */
  recordFetches(fetches: readonly { mac: string; fetch: FetchRecord }[]): Promise<void>;
  /**
   * What a phone fetch needs, in one indexed read: the device (with its
   * fetchedVersion, but lastFetch null) and the
   * render of `file` it owns, or null when there is no such device.
   */
  getPhoneFile(mac: string, file: string): Promise<{ device: DeviceRecord; render: RenderRecord | null } | null>;

  getRender(owner: string, file: string): Promise<RenderRecord | null>;
  listRenders(owner: string): Promise<RenderRecord[]>;
  getUpload(mac: string, file: string): Promise<UploadRecord | null>;
  listUploads(mac: string): Promise<UploadRecord[]>;

  findTokenByHash(hash: string): Promise<TokenRecord | null>;
  getToken(id: string): Promise<TokenRecord | null>;
  listTokens(): Promise<TokenRecord[]>;

  findLinkByHash(tokenHash: string): Promise<LinkRecord | null>;
  getLink(id: string): Promise<LinkRecord | null>;
  /** Newest first. A deleted extension takes its links with it. */
  listLinks(query?: { extension?: string }): Promise<LinkRecord[]>;

  getUser(username: string): Promise<UserRecord | null>;
  /** By username. */
  listUsers(): Promise<UserRecord[]>;
  findSession(idHash: string): Promise<SessionRecord | null>;
  /**
   * Marks a session as used at `at`. Like recordFetch, not an admin write:
   * a no-op for a session that no longer exists.
   */
  touchSession(idHash: string, at: string): Promise<void>;

  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;
  /**
   * Upserts a registrar's report by (extension, contact) and keeps the
   * newest `keep` of that extension; nothing for an extension that is gone.
   * Reported state, like a fetch record: not part of any batch.
   */
  recordRegistration(r: RegistrationRecord, keep: number): Promise<void>;
  /** Newest first within each extension. */
  listRegistrations(query?: { extension?: string }): Promise<RegistrationRecord[]>;
  /** Deletes the audit events older than `before` (an ISO time, PROV_AUDIT_DAYS ago); answers how many went. */
  pruneAudit(before: string): Promise<number>;

  getWebhook(id: string): Promise<WebhookRecord | null>;
  listWebhooks(): Promise<WebhookRecord[]>;
  /** Queues deliveries; one for a webhook deleted meanwhile is dropped. */
  enqueueDeliveries(deliveries: DeliveryRecord[]): Promise<void>;
  /**
   * Leases up to `limit` pending deliveries due at `now` to `holder` until
   * `leaseUntil`; a delivery leased to another holder is not handed out
   * again before its lease ends, so each attempt happens on one instance.
   */
  claimDeliveries(holder: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]>;
  /** Records an attempt and releases the lease, if `holder` still has it. */
  finishDelivery(id: string, holder: string, outcome: DeliveryOutcome): Promise<void>;
  /** Newest first. */
  listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]>;

  commit(ops: WriteOp[]): Promise<void>;

  /**
   * Takes or renews the named lease for `holder` until `until`, if it is
   * free, expired at `now`, or already the holder's. Scheduled jobs run on
   * one instance at a time this way. Returns whether the holder has it.
   */
  acquireLease(name: string, holder: string, now: string, until: string): Promise<boolean>;
}

// The errors a commit() refuses a batch with live in store-errors.ts; they are
// part of this port and come from here like the rest of it.
export { BrokenReference, ClaimUnavailable, DuplicateKey, LinkUnavailable, RevisionMismatch } from './store-errors.ts';
