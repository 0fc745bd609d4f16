// The embedded default store: one SQLite file in WAL mode under the data
// directory. better-sqlite3 is synchronous, so every commit() runs as one
// SQLite transaction that no other request can interleave with.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEvent, AuditQuery } from '../domain/audit.ts';
import type { DeviceRecord, DeviceStatus } from '../domain/device.ts';
import type { ExtensionRecord } from '../domain/extension.ts';
import type { LinkRecord } from '../domain/link.ts';
import type { NotifyRecord } from '../domain/notify.ts';
import type { TokenRecord } from '../domain/token.ts';
import type { SessionRecord, UserRecord } from '../domain/user.ts';
import type { DeliveryOutcome, DeliveryRecord, WebhookRecord } from '../domain/webhook.ts';
import {
  DEVICE_SELECT,
  deviceDoc,
  engineTrouble,
  expectChanged,
  parse,
  parseAll,
  PHONE_FILE_SELECT,
  toPhoneFile,
  type PhoneFileRow,
  toDevice,
  toLink,
  toRender,
  toSession,
  toUpload,
  toDelivery,
  type DeliveryRow,
  type DeviceRow,
  type LinkRow,
  type RenderRow,
  type Row,
  type SessionRow,
  type UploadRow,
} from './sqlite-rows.ts';
import { assertKnownSchema, migrate } from './sqlite-schema.ts';
import { createPhoneFileCache, type PhoneFileCache } from './phone-file-cache.ts';
import {
  BrokenReference,
  DuplicateKey,
  ClaimUnavailable,
  LinkUnavailable,
  RevisionMismatch,
  type DeviceQuery,
  type ExtensionQuery,
  type FetchRecord,
  type RenderRecord,
  type Store,
  type UploadRecord,
  type WriteOp,
} from './store.ts';

export const DB_FILE = 'provisioning.db';

/** deviceStatus() as SQL over the device row and its fetch row. */
const STATUS_WHERE: Record<DeviceStatus, string> = {
  unassigned: 'd.line_count = 0',
  never: 'd.line_count > 0 AND f.version IS NULL',
  pending: "d.line_count > 0 AND f.version < json_extract(d.doc, '$.configVersion')",
  synced: "d.line_count > 0 AND f.version >= json_extract(d.doc, '$.configVersion')",
};

export function openSqliteStore(dataDir: string): Store {
  const file = path.join(dataDir, DB_FILE);
  // SQLite gives the -wal and -shm files the mode of the database file, so
  // creating it 0600 first keeps every file with secrets private to us.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  fs.chmodSync(file, 0o600);
  const db = new Database(file);
  try {
    // Refuse a newer file before any pragma below writes to it.
    assertKnownSchema(db);
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged API write survives a power cut, not only a crash.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // better-sqlite3 waits synchronously, so a long wait would stall every request.
    db.pragma('busy_timeout = 2000');
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(db);
}

/**
 * A meta row every commit() batch bumps in the same transaction: everything a
 * phone file is made of (devices, claims, renders) changes only through
 * commit(), while fetch records, written every second, leave it alone.
 */
const PHONE_GENERATION = 'phone-generation';

class SqliteStore implements Store {
  private readonly q;
  private readonly applyBatch: Database.Transaction<(ops: WriteOp[]) => void>;
  private readonly phoneFiles: PhoneFileCache;
  /** Batches this connection committed: its own changes, seen by its next phone-file read. */
  private commits = 0;

  constructor(private readonly db: Database.Database) {
    this.q = {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      initMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
      getExtension: db.prepare<[string], Row>('SELECT doc FROM extensions WHERE number = ?'),
      listExtensions: db.prepare<[], Row>('SELECT doc FROM extensions ORDER BY number'),
      extensionExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM extensions WHERE number = ?'),
      insertExtension: db.prepare('INSERT INTO extensions (number, rev, doc) VALUES (?, ?, ?)'),
      updateExtension: db.prepare('UPDATE extensions SET rev = ?, doc = ? WHERE number = ? AND rev = ?'),
      deleteExtension: db.prepare('DELETE FROM extensions WHERE number = ? AND rev = ?'),
      extensionAtRev: db.prepare<[string, number], { one: number }>('SELECT 1 AS one FROM extensions WHERE number = ? AND rev = ?'),
      extensionInUse: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM device_lines WHERE extension = ? LIMIT 1'),
      getDevice: db.prepare<[string], DeviceRow>(`${DEVICE_SELECT} WHERE d.mac = ?`),
      deviceExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM devices WHERE mac = ?'),
      insertDevice: db.prepare(
        'INSERT INTO devices (mac, vendor, rev, doc, line_count, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      updateDevice: db.prepare(
        'UPDATE devices SET vendor = ?, rev = ?, doc = ?, line_count = ? WHERE mac = ? AND rev = ?',
      ),
      deleteDevice: db.prepare('DELETE FROM devices WHERE mac = ? AND rev = ?'),
      deleteOwnerRenders: db.prepare('DELETE FROM renders WHERE owner = ?'),
      insertFetch: db.prepare(
        'INSERT INTO fetches (mac, version, at, ip, user_agent, file) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      fetchSync: db.prepare('PRAGMA synchronous = NORMAL'),
      adminSync: db.prepare('PRAGMA synchronous = FULL'),
      recordFetch: db.prepare(
        `INSERT INTO fetches (mac, version, at, ip, user_agent, file, credential)
         SELECT @mac, @version, @at, @ip, @userAgent, @file, @credential WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
         ON CONFLICT (mac) DO UPDATE SET version = excluded.version, at = excluded.at, ip = excluded.ip,
           user_agent = excluded.user_agent, file = excluded.file, credential = excluded.credential, count = fetches.count + 1`,
      ),
      getPhoneFile: db.prepare<[string, string], PhoneFileRow>(PHONE_FILE_SELECT),
      phoneGeneration: db.prepare<[], string>(`SELECT value FROM meta WHERE key = '${PHONE_GENERATION}'`).pluck(),
      bumpPhoneGeneration: db.prepare(
        `UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${PHONE_GENERATION}'`,
      ),
      fetchedVersion: db.prepare<[string], number | null>('SELECT version FROM fetches WHERE mac = ?').pluck(),
      openClaim: db.prepare(
        `INSERT INTO claims (mac, until) SELECT @mac, @until WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
         ON CONFLICT (mac) DO UPDATE SET until = excluded.until`,
      ),
      closeClaim: db.prepare('DELETE FROM claims WHERE mac = ?'),
      useClaim: db.prepare('DELETE FROM claims WHERE mac = ? AND until > ?'),
      recordNotify: db.prepare(
        `INSERT INTO notify_state (mac, state, doc) SELECT @mac, @state, @doc WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
         ON CONFLICT (mac) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
      ),
      getRender: db.prepare<[string, string], RenderRow>('SELECT * FROM renders WHERE owner = ? AND file = ?'),
      listRenders: db.prepare<[string], RenderRow>('SELECT * FROM renders WHERE owner = ? ORDER BY file'),
      putRender: db.prepare(
        `INSERT INTO renders (owner, file, version, rendered_at, sealed_body, fingerprint) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner, file) DO UPDATE SET version = excluded.version, rendered_at = excluded.rendered_at,
           sealed_body = excluded.sealed_body, fingerprint = excluded.fingerprint`,
      ),
      deleteRender: db.prepare('DELETE FROM renders WHERE owner = ? AND file = ?'),
      getUpload: db.prepare<[string, string], UploadRow>('SELECT * FROM uploads WHERE mac = ? AND file = ?'),
      listUploads: db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE mac = ? ORDER BY file'),
      putUpload: db.prepare(
        `INSERT INTO uploads (mac, file, received_at, sealed_body) VALUES (?, ?, ?, ?)
         ON CONFLICT (mac, file) DO UPDATE SET received_at = excluded.received_at, sealed_body = excluded.sealed_body`,
      ),
      deleteUpload: db.prepare('DELETE FROM uploads WHERE mac = ? AND file = ?'),
      deleteLines: db.prepare('DELETE FROM device_lines WHERE mac = ?'),
      insertLine: db.prepare('INSERT INTO device_lines (mac, line, extension) VALUES (?, ?, ?)'),
      findToken: db.prepare<[string], Row>('SELECT doc FROM tokens WHERE hash = ?'),
      getToken: db.prepare<[string], Row>('SELECT doc FROM tokens WHERE id = ?'),
      listTokens: db.prepare<[], Row>("SELECT doc FROM tokens ORDER BY json_extract(doc, '$.createdAt'), id"),
      insertToken: db.prepare('INSERT INTO tokens (id, hash, doc) VALUES (?, ?, ?)'),
      deleteToken: db.prepare('DELETE FROM tokens WHERE id = ?'),
      findLink: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE token_hash = ?'),
      getLink: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE id = ?'),
      listLinks: db.prepare<[], LinkRow>('SELECT * FROM links ORDER BY created_at DESC, id'),
      listExtensionLinks: db.prepare<[string], LinkRow>(
        'SELECT * FROM links WHERE extension = ? ORDER BY created_at DESC, id',
      ),
      insertLink: db.prepare(
        `INSERT INTO links (id, token_hash, extension, app, created_at, expires_at, max_uses, uses, revoked_at,
           last_used_at, last_secret_version, created_by, parent_id)
         VALUES (@id, @tokenHash, @extension, @app, @createdAt, @expiresAt, @maxUses, @uses, @revokedAt,
           @lastUsedAt, @lastSecretVersion, @createdBy, @parentId)`,
      ),
      useLink: db.prepare(
        `UPDATE links SET uses = uses + 1, last_used_at = @at, last_secret_version = @secretVersion
         WHERE id = @id AND revoked_at IS NULL AND uses < max_uses AND expires_at > @at`,
      ),
      revokeLink: db.prepare('UPDATE links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      takeLease: db.prepare(
        `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
         WHERE leases.holder = excluded.holder OR leases.until <= @now`,
      ),
      insertAudit: db.prepare('INSERT INTO audit (at, action, target, doc) VALUES (?, ?, ?, ?)'),
      getUser: db.prepare<[string], Row>('SELECT doc FROM users WHERE username = ?'),
      listUsers: db.prepare<[], Row>('SELECT doc FROM users ORDER BY username'),
      anyUser: db.prepare<[], { one: number }>('SELECT 1 AS one FROM users LIMIT 1'),
      insertUser: db.prepare('INSERT INTO users (username, rev, doc) VALUES (?, ?, ?)'),
      updateUser: db.prepare('UPDATE users SET rev = ?, doc = ? WHERE username = ? AND rev = ?'),
      deleteUser: db.prepare('DELETE FROM users WHERE username = ? AND rev = ?'),
      findSession: db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id_hash = ?'),
      insertSession: db.prepare(
        `INSERT INTO sessions (id_hash, username, created_at, last_seen_at, expires_at)
         VALUES (@idHash, @username, @createdAt, @lastSeenAt, @expiresAt)`,
      ),
      touchSession: db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ? AND last_seen_at < ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id_hash = ?'),
      deleteUserSessions: db.prepare('DELETE FROM sessions WHERE username = ?'),
      deleteExpiredSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?'),
      extensionsByAuth: db.prepare<[string], Row>(
        "SELECT doc FROM extensions WHERE json_extract(doc, '$.authUsername') = ? ORDER BY number",
      ),
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
    this.applyBatch = db.transaction((ops: WriteOp[]) => {
      for (const op of ops) this.apply(op);
      this.q.bumpPhoneGeneration.run();
    });
    this.q.initMeta.run(PHONE_GENERATION, '0');
    this.phoneFiles = createPhoneFileCache({ others: () => Number(this.q.phoneGeneration.get()), own: () => this.commits });
  }

  async ping(): Promise<void> {
    try {
      this.db.prepare('SELECT 1').get();
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async getMeta(key: string): Promise<string | null> {
    return this.q.getMeta.get(key)?.value ?? null;
  }

  async initMeta(key: string, value: string): Promise<string> {
    this.q.initMeta.run(key, value);
    return this.q.getMeta.get(key)!.value;
  }

  async getExtension(number: string): Promise<ExtensionRecord | null> {
    return parse(this.q.getExtension.get(number));
  }

  async listExtensions(query: ExtensionQuery = {}): Promise<ExtensionRecord[]> {
    if (query.q === undefined && query.after === undefined && query.limit === undefined) {
      return parseAll(this.q.listExtensions.all());
    }
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.q !== undefined) {
      const fields = ['number', "json_extract(doc, '$.displayName')", "json_extract(doc, '$.authUsername')", "json_extract(doc, '$.label')"];
      where.push(`(${fields.map((f) => `instr(lower(${f}), ?) > 0`).join(' OR ')})`);
      args.push(...fields.map(() => query.q!.toLowerCase()));
    }
    if (query.after !== undefined) {
      where.push('number > ?');
      args.push(query.after);
    }
    const sql = `SELECT doc FROM extensions ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY number LIMIT ?`;
    return parseAll(this.db.prepare<(string | number)[], Row>(sql).all(...args, query.limit ?? -1));
  }

  async findExtensionsByAuthUsername(authUsername: string): Promise<ExtensionRecord[]> {
    return parseAll(this.q.extensionsByAuth.all(authUsername));
  }

  async getDevice(mac: string): Promise<DeviceRecord | null> {
    const row = this.q.getDevice.get(mac);
    return row ? toDevice(row) : null;
  }

  async listDevices(query: DeviceQuery = {}): Promise<DeviceRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.vendor !== undefined) {
      where.push('d.vendor = ?');
      args.push(query.vendor);
    }
    if (query.extension !== undefined) {
      where.push('d.mac IN (SELECT mac FROM device_lines WHERE extension = ?)');
      args.push(query.extension);
    }
    if (query.unassigned) where.push('d.line_count = 0');
    if (query.status !== undefined) where.push(STATUS_WHERE[query.status]);
    if (query.q !== undefined) {
      const q = query.q.toLowerCase();
      where.push(
        `(instr(d.mac, ?) > 0 OR instr(lower(json_extract(d.doc, '$.label')), ?) > 0
          OR instr(lower(json_extract(d.doc, '$.model')), ?) > 0
          OR d.mac IN (SELECT mac FROM device_lines WHERE instr(lower(extension), ?) > 0))`,
      );
      args.push(q, q, q, q);
    }
    if (query.after !== undefined) {
      where.push('d.mac > ?');
      args.push(query.after);
    }
    if (query.notify !== undefined) {
      where.push('n.state = ?');
      args.push(query.notify);
    }
    const order = query.unassigned ? 'd.created_at, d.mac' : 'd.mac';
    const sql = `${DEVICE_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ?`;
    return this.db.prepare<(string | number)[], DeviceRow>(sql).all(...args, query.limit ?? -1).map(toDevice);
  }

  async recordFetch(mac: string, f: FetchRecord): Promise<void> {
    try {
      // A fetch is not an acknowledged admin write, and a phone storm must not
      // wait on the disk for each one: committed without fsync, which WAL keeps
      // crash-safe if not power-safe. The next admin commit syncs it anyway.
      this.q.fetchSync.run();
      try {
        this.q.recordFetch.run({
          mac,
          version: f.version,
          at: f.at,
          ip: f.ip,
          userAgent: f.userAgent,
          file: f.file,
          credential: f.credential ?? null,
        });
      } finally {
        this.q.adminSync.run();
      }
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async recordNotify(mac: string, notify: NotifyRecord): Promise<void> {
    try {
      // Like a fetch: a phone's outcome, not an acknowledged admin write.
      this.q.fetchSync.run();
      try {
        this.q.recordNotify.run({ mac, state: notify.state, doc: JSON.stringify(notify) });
      } finally {
        this.q.adminSync.run();
      }
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async recordFetches(fetches: readonly { mac: string; fetch: FetchRecord }[]): Promise<void> {
    if (fetches.length === 0) return;
    try {
      // Like recordFetch: fetch state is not worth an fsync of its own.
      this.q.fetchSync.run();
      try {
        this.recordBatch(fetches);
      } finally {
        this.q.adminSync.run();
      }
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  private recordBatch(fetches: readonly { mac: string; fetch: FetchRecord }[]): void {
    this.db
      .transaction(() => {
        for (const { mac, fetch: f } of fetches) {
          this.q.recordFetch.run({ mac, version: f.version, at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file, credential: f.credential ?? null });
        }
      })
      .immediate();
  }

  async getPhoneFile(mac: string, file: string): Promise<{ device: DeviceRecord; render: RenderRecord | null } | null> {
    const found = this.phoneFiles.get(mac, file, () => {
      const row = this.q.getPhoneFile.get(file, mac);
      return row ? toPhoneFile(row, file) : null;
    });
    // Fetch records are written every second and bump no generation: read apart.
    return found && { device: { ...found.device, fetchedVersion: this.q.fetchedVersion.get(mac) ?? null }, render: found.render };
  }

  async getRender(owner: string, file: string): Promise<RenderRecord | null> {
    const row = this.q.getRender.get(owner, file);
    return row ? toRender(row) : null;
  }

  async listRenders(owner: string): Promise<RenderRecord[]> {
    return this.q.listRenders.all(owner).map(toRender);
  }

  async getUpload(mac: string, file: string): Promise<UploadRecord | null> {
    const row = this.q.getUpload.get(mac, file);
    return row ? toUpload(row) : null;
  }

  async listUploads(mac: string): Promise<UploadRecord[]> {
    return this.q.listUploads.all(mac).map(toUpload);
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | null> {
    return parse(this.q.findToken.get(hash));
  }

  async getToken(id: string): Promise<TokenRecord | null> {
    return parse(this.q.getToken.get(id));
  }

  async listTokens(): Promise<TokenRecord[]> {
    return parseAll(this.q.listTokens.all());
  }

  async getUser(username: string): Promise<UserRecord | null> {
    return parse(this.q.getUser.get(username));
  }

  async listUsers(): Promise<UserRecord[]> {
    return parseAll(this.q.listUsers.all());
  }

  async findSession(idHash: string): Promise<SessionRecord | null> {
    const row = this.q.findSession.get(idHash);
    return row ? toSession(row) : null;
  }

  async touchSession(idHash: string, at: string): Promise<void> {
    try {
      this.q.fetchSync.run();
      try {
        this.q.touchSession.run(at, idHash, at);
      } finally {
        this.q.adminSync.run();
      }
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async acquireLease(name: string, holder: string, now: string, until: string): Promise<boolean> {
    return this.q.takeLease.run({ name, holder, now, until }).changes === 1;
  }

  async findLinkByHash(tokenHash: string): Promise<LinkRecord | null> {
    const row = this.q.findLink.get(tokenHash);
    return row ? toLink(row) : null;
  }

  async getLink(id: string): Promise<LinkRecord | null> {
    const row = this.q.getLink.get(id);
    return row ? toLink(row) : null;
  }

  async listLinks(query: { extension?: string } = {}): Promise<LinkRecord[]> {
    const rows = query.extension === undefined ? this.q.listLinks.all() : this.q.listExtensionLinks.all(query.extension);
    return rows.map(toLink);
  }

  async listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (query.action !== undefined) {
      where.push('action = ?');
      args.push(query.action);
    }
    if (query.target !== undefined) {
      // "1001" finds "extension:1001"; "extension:1001" finds only that.
      where.push(query.target.includes(':') ? 'target = ?' : "substr(target, instr(target, ':') + 1) = ?");
      args.push(query.target);
    }
    if (query.beforeId !== undefined) {
      where.push('id < ?');
      args.push(query.beforeId);
    }
    const sql = `SELECT id, doc FROM audit ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    const rows = this.db.prepare<(string | number)[], Row & { id: number }>(sql).all(...args, query.limit);
    return rows.map((r) => ({ ...(JSON.parse(r.doc) as AuditEvent), id: r.id }));
  }

  async getWebhook(id: string): Promise<WebhookRecord | null> {
    return parse(this.q.getWebhook.get(id));
  }

  async listWebhooks(): Promise<WebhookRecord[]> {
    return parseAll(this.q.listWebhooks.all());
  }

  async enqueueDeliveries(deliveries: DeliveryRecord[]): Promise<void> {
    if (deliveries.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const d of deliveries) this.q.insertDelivery.run(d);
      }).immediate();
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async claimDeliveries(holder: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]> {
    try {
      return this.db.transaction(() => {
        const due = this.q.dueDeliveries.all({ now, limit });
        for (const d of due) this.q.leaseDelivery.run(holder, leaseUntil, d.id);
        return due.map(toDelivery);
      }).immediate();
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async finishDelivery(id: string, holder: string, o: DeliveryOutcome): Promise<void> {
    try {
      this.q.finishDelivery.run({ id, holder, ...o });
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  async listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.q.listDeliveries.all(webhookId, limit).map(toDelivery);
  }

  async commit(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    try {
      // IMMEDIATE takes the write lock up front, so the busy timeout applies
      // instead of a read transaction failing at its first write.
      this.applyBatch.immediate(ops);
      this.commits++;
    } catch (err) {
      throw engineTrouble(err) ?? err;
    }
  }

  private apply(op: WriteOp): void {
    const q = this.q;
    switch (op.op) {
      case 'insert-extension':
        if (q.extensionExists.get(op.record.number)) throw new DuplicateKey('extension', op.record.number);
        q.insertExtension.run(op.record.number, op.record.rev, JSON.stringify(op.record));
        return;
      case 'update-extension':
        expectChanged(
          q.updateExtension.run(op.record.rev, JSON.stringify(op.record), op.record.number, op.expectRev).changes,
          'extension',
          op.record.number,
        );
        return;
      case 'expect-extension':
        if (!q.extensionAtRev.get(op.number, op.rev)) throw new RevisionMismatch('extension', op.number);
        return;
      case 'delete-extension':
        if (q.extensionInUse.get(op.number)) throw new BrokenReference(op.number, 'in-use');
        expectChanged(q.deleteExtension.run(op.number, op.expectRev).changes, 'extension', op.number);
        q.deleteOwnerRenders.run(`extension:${op.number}`);
        return;
      case 'insert-device': {
        const d = op.record;
        if (q.deviceExists.get(d.mac)) throw new DuplicateKey('device', d.mac);
        q.insertDevice.run(d.mac, d.vendor, d.rev, deviceDoc(d), d.lines.length, d.createdAt);
        this.writeLines(d);
        if (d.lastFetch) {
          const f = d.lastFetch;
          q.insertFetch.run(d.mac, d.fetchedVersion, f.at, f.ip, f.userAgent, f.file);
        }
        if (d.claimUntil) q.openClaim.run({ mac: d.mac, until: d.claimUntil });
        return;
      }
      case 'update-device': {
        const d = op.record;
        const changes = q.updateDevice.run(d.vendor, d.rev, deviceDoc(d), d.lines.length, d.mac, op.expectRev).changes;
        expectChanged(changes, 'device', d.mac);
        this.writeLines(d);
        return;
      }
      case 'delete-device':
        expectChanged(q.deleteDevice.run(op.mac, op.expectRev).changes, 'device', op.mac);
        q.deleteOwnerRenders.run(op.mac);
        return;
      case 'open-claim':
        q.openClaim.run({ mac: op.mac, until: op.until });
        return;
      case 'close-claim':
        q.closeClaim.run(op.mac);
        return;
      case 'use-claim':
        // ISO-8601 UTC times compare correctly as text.
        if (q.useClaim.run(op.mac, op.at).changes !== 1) throw new ClaimUnavailable(op.mac);
        return;
      case 'put-render': {
        const r = op.render;
        q.putRender.run(r.owner, r.file, r.version, r.renderedAt, r.sealedBody, r.fingerprint ?? null);
        return;
      }
      case 'delete-render':
        q.deleteRender.run(op.owner, op.file);
        return;
      case 'put-upload': {
        const u = op.upload;
        if (!q.deviceExists.get(u.mac)) throw new RevisionMismatch('device', u.mac);
        q.putUpload.run(u.mac, u.file, u.receivedAt, u.sealedBody);
        return;
      }
      case 'delete-upload':
        q.deleteUpload.run(op.mac, op.file);
        return;
      case 'insert-token':
        if (q.findToken.get(op.record.hash) || q.getToken.get(op.record.id)) {
          throw new DuplicateKey('token', op.record.id);
        }
        q.insertToken.run(op.record.id, op.record.hash, JSON.stringify(op.record));
        return;
      case 'delete-token':
        q.deleteToken.run(op.id);
        return;
      case 'insert-link':
        if (q.findLink.get(op.record.tokenHash) || q.getLink.get(op.record.id)) {
          throw new DuplicateKey('link', op.record.id);
        }
        if (!q.extensionExists.get(op.record.extension)) throw new BrokenReference(op.record.extension, 'missing');
        q.insertLink.run({ ...op.record, parentId: op.record.parentId ?? null });
        return;
      case 'use-link':
        // ISO-8601 UTC times compare correctly as text.
        if (q.useLink.run({ id: op.id, at: op.at, secretVersion: op.secretVersion }).changes !== 1) {
          throw new LinkUnavailable(op.id);
        }
        return;
      case 'revoke-link':
        q.revokeLink.run(op.at, op.id);
        return;
      case 'audit': {
        const { id: _ignored, ...event } = op.event;
        q.insertAudit.run(event.at, event.action, event.target, JSON.stringify(event));
        return;
      }
      case 'insert-user':
        if (q.getUser.get(op.record.username)) throw new DuplicateKey('user', op.record.username);
        if (op.first && q.anyUser.get()) throw new DuplicateKey('user', op.record.username);
        q.insertUser.run(op.record.username, op.record.rev, JSON.stringify(op.record));
        return;
      case 'update-user':
        expectChanged(
          q.updateUser.run(op.record.rev, JSON.stringify(op.record), op.record.username, op.expectRev).changes,
          'user',
          op.record.username,
        );
        return;
      case 'delete-user':
        expectChanged(q.deleteUser.run(op.username, op.expectRev).changes, 'user', op.username);
        return;
      case 'insert-session':
        if (!q.getUser.get(op.record.username)) throw new RevisionMismatch('user', op.record.username);
        q.insertSession.run(op.record);
        return;
      case 'delete-session':
        q.deleteSession.run(op.idHash);
        return;
      case 'delete-user-sessions':
        q.deleteUserSessions.run(op.username);
        return;
      case 'delete-expired-sessions':
        q.deleteExpiredSessions.run(op.now, op.idleBefore);
        return;
      case 'insert-webhook':
        q.insertWebhook.run(op.record.id, op.record.createdAt, JSON.stringify(op.record));
        return;
      case 'delete-webhook':
        q.deleteWebhook.run(op.id);
        return;
    }
  }

  private writeLines(device: DeviceRecord): void {
    this.q.deleteLines.run(device.mac);
    for (const l of device.lines) {
      if (!this.q.extensionExists.get(l.extension)) throw new BrokenReference(l.extension, 'missing');
      this.q.insertLine.run(device.mac, l.line, l.extension);
    }
  }
}
