// Rendered files and phone uploads in SQLite, and the phone fetch's read of
// both together: the hottest read of the server, answered from the phone-file
// cache while the change marks say nothing it is made of has moved.
import type Database from 'better-sqlite3';
import { createPhoneFileCache, type ChangeMarks } from '../phone-file-cache.ts';
import { RevisionMismatch } from '../store.ts';
import type { SqlitePart } from './part.ts';
import {
  PHONE_FILE_SELECT,
  toPhoneFile,
  toRender,
  toUpload,
  type PhoneFileRow,
  type RenderRow,
  type UploadRow,
} from './rows.ts';

export function sqliteRenders(db: Database.Database, marks: ChangeMarks): SqlitePart<'renders'> {
  const q = {
    getPhoneFile: db.prepare<[string, string], PhoneFileRow>(PHONE_FILE_SELECT),
    fetchedVersion: db.prepare<[string], number | null>('SELECT version FROM fetches WHERE mac = ?').pluck(),
    deviceExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM devices WHERE mac = ?'),
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
  };
  const phoneFiles = createPhoneFileCache(marks);
  return {
    reads: {
      async getPhoneFile(mac, file) {
        const found = phoneFiles.get(mac, file, () => {
          const row = q.getPhoneFile.get(file, mac);
          return row ? toPhoneFile(row, file) : null;
        });
        // Fetch records are written every second and bump no generation: read apart.
        return found && { device: { ...found.device, fetchedVersion: q.fetchedVersion.get(mac) ?? null }, render: found.render };
      },
      async getRender(owner, file) {
        const row = q.getRender.get(owner, file);
        return row ? toRender(row) : null;
      },
      async listRenders(owner) {
        return q.listRenders.all(owner).map(toRender);
      },
      async getUpload(mac, file) {
        const row = q.getUpload.get(mac, file);
        return row ? toUpload(row) : null;
      },
      async listUploads(mac) {
        return q.listUploads.all(mac).map(toUpload);
      },
    },
    writes: {
      'put-render': ({ render: r }) => {
        q.putRender.run(r.owner, r.file, r.version, r.renderedAt, r.sealedBody, r.fingerprint ?? null);
      },
      'delete-render': (op) => void q.deleteRender.run(op.owner, op.file),
      'put-upload': ({ upload: u }) => {
        if (!q.deviceExists.get(u.mac)) throw new RevisionMismatch('device', u.mac);
        q.putUpload.run(u.mac, u.file, u.receivedAt, u.sealedBody);
      },
      'delete-upload': (op) => void q.deleteUpload.run(op.mac, op.file),
    },
  };
}
