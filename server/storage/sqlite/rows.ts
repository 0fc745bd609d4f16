// Row shapes of the SQLite tables and their mapping to the Store's records,
// plus how SQLite's own errors translate to the Store's.
import type { DeviceRecord, FetchProof } from '../../domain/device.ts';
import { StoreUnavailable } from '../../domain/errors.ts';
import type { LinkRecord } from '../../domain/link.ts';
import type { NotifyRecord } from '../../domain/notify.ts';
import type { SessionRecord } from '../../domain/user.ts';
import type { DeliveryRecord } from '../../domain/webhook.ts';
import { RevisionMismatch, type RenderRecord, type UploadRecord } from '../store.ts';

export type Row = { doc: string };
export const parse = <T>(row: Row | undefined): T | null => (row ? (JSON.parse(row.doc) as T) : null);
export const parseAll = <T>(rows: Row[]): T[] => rows.map((r) => JSON.parse(r.doc) as T);

export type DeviceRow = Row & {
  f_version: number | null;
  f_at: string | null;
  f_ip: string;
  f_ua: string;
  f_file: string;
  f_credential: string | null;
  f_count: number | null;
  s_at: string | null;
  s_ip: string;
  s_ua: string;
  s_file: string;
  s_count: number;
  claim_until: string | null;
  n_doc: string | null;
};
export const DEVICE_SELECT = `SELECT d.doc, f.version AS f_version, f.at AS f_at, f.ip AS f_ip, f.user_agent AS f_ua,
    f.file AS f_file, f.credential AS f_credential, f.count AS f_count, c.until AS claim_until, n.doc AS n_doc,
    s.at AS s_at, s.ip AS s_ip, s.user_agent AS s_ua, s.file AS s_file, s.count AS s_count
  FROM devices d LEFT JOIN fetches f ON f.mac = d.mac LEFT JOIN claims c ON c.mac = d.mac
    LEFT JOIN notify_state n ON n.mac = d.mac LEFT JOIN sightings s ON s.mac = d.mac`;

export function toDevice(row: DeviceRow): DeviceRecord {
  return {
    ...(JSON.parse(row.doc) as DeviceRecord),
    fetchedVersion: row.f_version,
    lastFetch:
      row.f_at === null
        ? null
        : {
            at: row.f_at,
            ip: row.f_ip,
            userAgent: row.f_ua,
            file: row.f_file,
            // Absent rather than null, as a record without it went in.
            ...(row.f_credential ? { credential: row.f_credential as FetchProof } : {}),
          },
    lastSeen: row.s_at === null ? null : { at: row.s_at, ip: row.s_ip, userAgent: row.s_ua, file: row.s_file, count: row.s_count },
    fetchCount: row.f_count ?? 0,
    claimUntil: row.claim_until,
    // Present only once notified, on both stores.
    ...(row.n_doc === null ? {} : { notify: JSON.parse(row.n_doc) as NotifyRecord }),
  };
}

export type PhoneFileRow = Row & { claim_until: string | null; f_version: number | null; r_version: number | null; r_at: string | null; r_body: string | null };
/** Device, claim and the one render a fetch serves, by primary keys: the phone path's single read. */
export const PHONE_FILE_SELECT = `SELECT d.doc, c.until AS claim_until, f.version AS f_version, r.version AS r_version, r.rendered_at AS r_at,
    r.sealed_body AS r_body
  FROM devices d LEFT JOIN claims c ON c.mac = d.mac LEFT JOIN fetches f ON f.mac = d.mac LEFT JOIN renders r ON r.owner = d.mac AND r.file = ?
  WHERE d.mac = ?`;

export function toPhoneFile(row: PhoneFileRow, file: string): { device: DeviceRecord; render: RenderRecord | null } {
  const device: DeviceRecord = { ...(JSON.parse(row.doc) as DeviceRecord), fetchedVersion: row.f_version, lastFetch: null, claimUntil: row.claim_until };
  const render =
    row.r_body === null ? null : { owner: device.mac, file, version: row.r_version!, renderedAt: row.r_at!, sealedBody: row.r_body };
  return { device, render };
}

/** The device document without the fetch, claim and notify state, which live in their own tables. */
export function deviceDoc(d: DeviceRecord): string {
  const { fetchedVersion: _v, lastFetch: _f, claimUntil: _c, fetchCount: _n, notify: _s, ...doc } = d;
  return JSON.stringify(doc);
}

export type RenderRow = { owner: string; file: string; version: number; rendered_at: string; sealed_body: string; fingerprint: string | null };
export const toRender = (r: RenderRow): RenderRecord => ({
  owner: r.owner,
  file: r.file,
  version: r.version,
  renderedAt: r.rendered_at,
  sealedBody: r.sealed_body,
  // Absent rather than null, as on a render stored before fingerprints.
  ...(r.fingerprint === null ? {} : { fingerprint: r.fingerprint }),
});
export type UploadRow = { mac: string; file: string; received_at: string; sealed_body: string };
export const toUpload = (r: UploadRow): UploadRecord => ({
  mac: r.mac,
  file: r.file,
  receivedAt: r.received_at,
  sealedBody: r.sealed_body,
});


export type LinkRow = {
  id: string;
  token_hash: string;
  extension: string;
  app: string;
  created_at: string;
  expires_at: string;
  max_uses: number;
  uses: number;
  revoked_at: string | null;
  last_used_at: string | null;
  last_secret_version: number | null;
  created_by: string;
  parent_id: string | null;
};

export const toLink = (r: LinkRow): LinkRecord => ({
  id: r.id,
  tokenHash: r.token_hash,
  extension: r.extension,
  app: r.app,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  maxUses: r.max_uses,
  uses: r.uses,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
  lastSecretVersion: r.last_secret_version,
  createdBy: r.created_by,
  ...(r.parent_id !== null ? { parentId: r.parent_id } : {}),
});

/**
 * A locked, full, read-only or failing database is the store being
 * unavailable, not a bug: the transaction rolled back, so nothing was changed.
 */
export function engineTrouble(err: unknown): StoreUnavailable | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN)/.test(code)
    ? new StoreUnavailable()
    : null;
}

export function expectChanged(changes: number, entity: string, key: string): void {
  if (changes !== 1) throw new RevisionMismatch(entity, key);
}

export type SessionRow = { id_hash: string; username: string; created_at: string; last_seen_at: string; expires_at: string };
export const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  username: r.username,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

export type DeliveryRow = {
  id: string;
  webhook_id: string;
  event_id: string;
  event: string;
  body: string;
  created_at: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
};

export const toDelivery = (r: DeliveryRow): DeliveryRecord => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  event: r.event as DeliveryRecord['event'],
  body: r.body,
  createdAt: r.created_at,
  state: r.state as DeliveryRecord['state'],
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
  deliveredAt: r.delivered_at,
});
