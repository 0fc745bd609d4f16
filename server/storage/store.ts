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
import type { DeviceRecord } from '../domain/device.ts';
import type { ExtensionRecord } from '../domain/extension.ts';
import type { LinkRecord } from '../domain/link.ts';
import type { TokenRecord } from '../domain/token.ts';

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
}

/** A file a phone uploaded (an override or a log), sealed like renders. */
export interface UploadRecord {
  mac: string;
  file: string;
  receivedAt: string;
  sealedBody: string;
}

export interface FetchRecord {
  /** The configVersion served; null when the fetch served no credentials. */
  version: number | null;
  at: string;
  ip: string;
  userAgent: string;
  file: string;
}

export type WriteOp =
  | { op: 'insert-extension'; record: ExtensionRecord }
  | { op: 'update-extension'; record: ExtensionRecord; expectRev: number }
  | { op: 'delete-extension'; number: string; expectRev: number }
  /** Writes nothing; refuses the batch with RevisionMismatch unless the extension is at this revision. */
  | { op: 'expect-extension'; number: string; rev: number }
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
  | { op: 'insert-link'; record: LinkRecord }
  /** Counts one download; refused with LinkUnavailable unless the link is active at `at`. */
  | { op: 'use-link'; id: string; at: string; secretVersion: number }
  | { op: 'revoke-link'; id: string; at: string }
  | { op: 'audit'; event: AuditEvent };

export interface DeviceQuery {
  vendor?: string;
  /** Devices with at least one line on this extension. */
  extension?: string;
  /** Only devices without lines, oldest first. */
  unassigned?: boolean;
}

export interface Store {
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Small named values the server keeps about itself (e.g. the key check). */
  getMeta(key: string): Promise<string | null>;
  /** Sets the value unless one exists; returns whichever value is stored. */
  initMeta(key: string, value: string): Promise<string>;

  getExtension(number: string): Promise<ExtensionRecord | null>;
  listExtensions(): Promise<ExtensionRecord[]>;

  /**
   * fetchedVersion and lastFetch come from recordFetch(): insert-device may
   * seed them, update-device leaves them as they are, so an admin's edit and
   * a phone's fetch never overwrite each other.
   */
  getDevice(mac: string): Promise<DeviceRecord | null>;
  listDevices(query?: DeviceQuery): Promise<DeviceRecord[]>;
  /** Records a phone's fetch; a no-op for a device that no longer exists. */
  recordFetch(mac: string, fetch: FetchRecord): Promise<void>;
  /** Records many fetches, in order, in one write (the coalesced fetch records); as recordFetch otherwise. */
  recordFetches(fetches: readonly { mac: string; fetch: FetchRecord }[]): Promise<void>;
  /**
   * What a phone fetch needs, in one indexed read: the device (its fetch
   * state is not read: fetchedVersion and lastFetch come back null) and the
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

  /** Newest first. */
  listAudit(query: AuditQuery): Promise<AuditEvent[]>;

  commit(ops: WriteOp[]): Promise<void>;

  /**
   * Takes or renews the named lease for `holder` until `until`, if it is
   * free, expired at `now`, or already the holder's. Scheduled jobs run on
   * one instance at a time this way. Returns whether the holder has it.
   */
  acquireLease(name: string, holder: string, now: string, until: string): Promise<boolean>;
}

/** A unique key (extension number, MAC, token hash) already exists. */
export class DuplicateKey extends Error {
  constructor(readonly entity: 'extension' | 'device' | 'token' | 'link', readonly key: string) {
    super(`${entity} ${key} already exists`);
    this.name = 'DuplicateKey';
  }
}

/** The record changed (or vanished) since the batch was planned. */
export class RevisionMismatch extends Error {
  constructor(readonly entity: string, readonly key: string) {
    super(`${entity} ${key} changed while the change was being planned`);
    this.name = 'RevisionMismatch';
  }
}

/**
 * Device lines and extensions would disagree: a line pointing at a missing
 * extension, or an extension deleted while a line still points at it.
 */
export class BrokenReference extends Error {
  constructor(readonly extension: string, readonly kind: 'missing' | 'in-use') {
    super(kind === 'missing' ? `extension ${extension} does not exist` : `extension ${extension} is used by a device`);
    this.name = 'BrokenReference';
  }
}

/** A link that is revoked, expired or used up (or gone) when a download tries to count. */
export class LinkUnavailable extends Error {
  constructor(readonly id: string) {
    super(`link ${id} is not active`);
    this.name = 'LinkUnavailable';
  }
}
