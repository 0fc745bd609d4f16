// Devices in SQLite, with the state that lives beside each device row rather
// than in its document (lines, the last fetch, the claim window, the last
// NOTIFY outcome): phones and the notifier write those every second, admins
// write the document, and neither may overwrite the other.
import type Database from 'better-sqlite3';
import type { DeviceRecord, DeviceStatus } from '../../domain/device.ts';
import { BrokenReference, ClaimUnavailable, DuplicateKey, type FetchRecord } from '../store.ts';
import { extensionLookup } from './extensions.ts';
import { Where, type Relaxed, type SqlitePart } from './part.ts';
import { DEVICE_SELECT, deviceDoc, expectChanged, toDevice, type DeviceRow } from './rows.ts';

/** deviceStatus() as SQL over the device row and its fetch row. */
const STATUS_WHERE: Record<DeviceStatus, string> = {
  unassigned: 'd.line_count = 0',
  never: 'd.line_count > 0 AND f.version IS NULL',
  pending: "d.line_count > 0 AND f.version < json_extract(d.doc, '$.configVersion')",
  synced: "d.line_count > 0 AND f.version >= json_extract(d.doc, '$.configVersion')",
};

const fetchRow = (mac: string, f: FetchRecord) => ({
  mac,
  version: f.version,
  at: f.at,
  ip: f.ip,
  userAgent: f.userAgent,
  file: f.file,
  credential: f.credential,
});
const sightingRow = (mac: string, f: Pick<FetchRecord, 'at' | 'ip' | 'userAgent' | 'file'>) => ({ mac, at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file });

export function sqliteDevices(db: Database.Database, relaxed: Relaxed): SqlitePart<'devices'> {
  const extensionExists = extensionLookup(db);
  const q = {
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
    deleteLines: db.prepare('DELETE FROM device_lines WHERE mac = ?'),
    insertLine: db.prepare('INSERT INTO device_lines (mac, line, extension) VALUES (?, ?, ?)'),
    insertFetch: db.prepare(
      'INSERT INTO fetches (mac, version, at, ip, user_agent, file, credential) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    recordSighting: db.prepare(
      `INSERT INTO sightings (mac, at, ip, user_agent, file)
       SELECT @mac, @at, @ip, @userAgent, @file WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
       ON CONFLICT (mac) DO UPDATE SET at = excluded.at, ip = excluded.ip, user_agent = excluded.user_agent, file = excluded.file,
         count = sightings.count + 1`,
    ),
    recordFetch: db.prepare(
      `INSERT INTO fetches (mac, version, at, ip, user_agent, file, credential)
       SELECT @mac, @version, @at, @ip, @userAgent, @file, @credential WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
       ON CONFLICT (mac) DO UPDATE SET version = excluded.version, at = excluded.at, ip = excluded.ip,
         user_agent = excluded.user_agent, file = excluded.file, credential = excluded.credential, count = fetches.count + 1`,
    ),
    recordNotify: db.prepare(
      `INSERT INTO notify_state (mac, state, doc) SELECT @mac, @state, @doc WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
       ON CONFLICT (mac) DO UPDATE SET state = excluded.state, doc = excluded.doc`,
    ),
    openClaim: db.prepare(
      `INSERT INTO claims (mac, until) SELECT @mac, @until WHERE EXISTS (SELECT 1 FROM devices WHERE mac = @mac)
       ON CONFLICT (mac) DO UPDATE SET until = excluded.until`,
    ),
    closeClaim: db.prepare('DELETE FROM claims WHERE mac = ?'),
    useClaim: db.prepare('DELETE FROM claims WHERE mac = ? AND until > ?'),
  };

  /** A sighting is kept apart from the fetches of phones that proved themselves. */
  function record(mac: string, f: FetchRecord): void {
    if (f.credential === null) q.recordSighting.run(sightingRow(mac, f));
    else q.recordFetch.run(fetchRow(mac, f));
  }

  function writeLines(device: DeviceRecord): void {
    q.deleteLines.run(device.mac);
    for (const l of device.lines) {
      if (!extensionExists(l.extension)) throw new BrokenReference(l.extension, 'missing');
      q.insertLine.run(device.mac, l.line, l.extension);
    }
  }

  return {
    reads: {
      async getDevice(mac) {
        const row = q.getDevice.get(mac);
        return row ? toDevice(row) : null;
      },
      async listDevices(query = {}) {
        const where = new Where();
        if (query.vendor !== undefined) where.add('d.vendor = ?', query.vendor);
        if (query.extension !== undefined) where.add('d.mac IN (SELECT mac FROM device_lines WHERE extension = ?)', query.extension);
        if (query.unassigned) where.add('d.line_count = 0');
        if (query.status !== undefined) where.add(STATUS_WHERE[query.status]);
        if (query.q !== undefined) {
          const text = query.q.toLowerCase();
          where.add(
            `(instr(d.mac, ?) > 0 OR instr(lower(json_extract(d.doc, '$.label')), ?) > 0
              OR instr(lower(json_extract(d.doc, '$.model')), ?) > 0
              OR d.mac IN (SELECT mac FROM device_lines WHERE instr(lower(extension), ?) > 0))`,
            text, text, text, text,
          );
        }
        if (query.after !== undefined) where.add('d.mac > ?', query.after);
        if (query.site !== undefined) where.add("json_extract(d.doc, '$.site') = ?", query.site);
        if (query.notify !== undefined) where.add('n.state = ?', query.notify);
        const order = query.unassigned ? 'd.created_at, d.mac' : 'd.mac';
        const sql = `${DEVICE_SELECT} ${where} ORDER BY ${order} LIMIT ?`;
        return db.prepare<(string | number)[], DeviceRow>(sql).all(...where.args, query.limit ?? -1).map(toDevice);
      },
      async recordFetch(mac, f) {
        relaxed(() => record(mac, f));
      },
      async recordNotify(mac, notify) {
        relaxed(() => q.recordNotify.run({ mac, state: notify.state, doc: JSON.stringify(notify) }));
      },
      async recordFetches(fetches) {
        if (fetches.length === 0) return;
        relaxed(() =>
          db
            .transaction(() => {
              for (const { mac, fetch } of fetches) record(mac, fetch);
            })
            .immediate(),
        );
      },
    },
    writes: {
      'insert-device': ({ record: d }) => {
        if (q.deviceExists.get(d.mac)) throw new DuplicateKey('device', d.mac);
        q.insertDevice.run(d.mac, d.vendor, d.rev, deviceDoc(d), d.lines.length, d.createdAt);
        writeLines(d);
        if (d.lastFetch) {
          const f = d.lastFetch;
          q.insertFetch.run(d.mac, d.fetchedVersion, f.at, f.ip, f.userAgent, f.file, f.credential ?? null);
        }
        if (d.lastSeen) q.recordSighting.run(sightingRow(d.mac, d.lastSeen));
        if (d.claimUntil) q.openClaim.run({ mac: d.mac, until: d.claimUntil });
      },
      'update-device': ({ record: d, expectRev }) => {
        const changes = q.updateDevice.run(d.vendor, d.rev, deviceDoc(d), d.lines.length, d.mac, expectRev).changes;
        expectChanged(changes, 'device', d.mac);
        writeLines(d);
      },
      'delete-device': (op) => {
        expectChanged(q.deleteDevice.run(op.mac, op.expectRev).changes, 'device', op.mac);
        q.deleteOwnerRenders.run(op.mac);
      },
      'open-claim': (op) => void q.openClaim.run({ mac: op.mac, until: op.until }),
      'close-claim': (op) => void q.closeClaim.run(op.mac),
      'use-claim': (op) => {
        // ISO-8601 UTC times compare correctly as text.
        if (q.useClaim.run(op.mac, op.at).changes !== 1) throw new ClaimUnavailable(op.mac);
      },
    },
  };
}
