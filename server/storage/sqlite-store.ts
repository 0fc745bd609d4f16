// The embedded default store: one SQLite file in WAL mode under the data
// directory. better-sqlite3 is synchronous, so every commit() runs as one
// SQLite transaction that no other request can interleave with. This file
// opens the database and assembles the entity parts in sqlite/; the parts
// own the tables, the statements and the checks.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { combineParts, dispatch, type StoreReads, type WriteHandlers } from './parts.ts';
import { sqliteAccounts } from './sqlite/accounts.ts';
import { sqliteAudit } from './sqlite/audit.ts';
import { sqliteDevices } from './sqlite/devices.ts';
import { sqliteExtensions } from './sqlite/extensions.ts';
import { sqliteLinks } from './sqlite/links.ts';
import { sqliteMeta } from './sqlite/meta.ts';
import { guard, relaxedWrites } from './sqlite/part.ts';
import { sqliteRegistrations } from './sqlite/registrations.ts';
import { sqliteRenders } from './sqlite/renders.ts';
import { sqliteSites } from './sqlite/sites.ts';
import { assertKnownSchema, migrate } from './sqlite/schema.ts';
import { sqliteWebhooks } from './sqlite/webhooks.ts';
import type { Store, WriteOp } from './store.ts';

export const DB_FILE = 'provisioning.db';

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
  return assemble(db);
}

function assemble(db: Database.Database): Store {
  /** Batches this connection committed: its own changes, seen by its next phone-file read. */
  let commits = 0;
  const relaxed = relaxedWrites(db);
  const meta = sqliteMeta(db, relaxed);
  const parts = combineParts(
    meta,
    sqliteExtensions(db),
    sqliteDevices(db, relaxed),
    sqliteRenders(db, { others: meta.generation.current, own: () => commits }),
    sqliteLinks(db),
    sqliteAccounts(db, relaxed),
    sqliteAudit(db),
    sqliteWebhooks(db),
    sqliteRegistrations(db, relaxed),
    sqliteSites(db),
  );
  const reads: StoreReads = parts.reads;
  const writes: WriteHandlers<[], void> = parts.writes;
  const applyBatch = db.transaction((ops: WriteOp[]) => {
    for (const op of ops) dispatch(writes, op);
    meta.generation.bump();
  });

  return {
    ...reads,
    async ping() {
      guard(() => db.prepare('SELECT 1').get());
    },
    async close() {
      if (db.open) db.close();
    },
    async commit(ops) {
      if (ops.length === 0) return;
      guard(() => {
        // IMMEDIATE takes the write lock up front, so the busy timeout applies
        // instead of a read transaction failing at its first write.
        applyBatch.immediate(ops);
        commits++;
      });
    },
  };
}
