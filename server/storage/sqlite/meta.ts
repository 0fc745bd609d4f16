// The server's small named values and its job leases, plus the phone
// generation: a meta row every commit() batch bumps in the same transaction,
// so any connection can tell that what a phone file is made of (devices,
// claims, renders, all changed only through commit()) may have changed.
// Fetch records, written every second, leave it alone.
import type Database from 'better-sqlite3';
import { guardKey, RevisionMismatch } from '../store.ts';
import type { Relaxed, SqlitePart } from './part.ts';

const PHONE_GENERATION = 'phone-generation';

export interface PhoneGeneration {
  current(): number;
  /** Called inside every commit() transaction. */
  bump(): void;
}

export function sqliteMeta(db: Database.Database, relaxed: Relaxed): SqlitePart<'meta'> & { generation: PhoneGeneration } {
  const q = {
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    initMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    takeLease: db.prepare(
      `INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
       WHERE leases.holder = excluded.holder OR leases.until <= @now`,
    ),
    phoneGeneration: db.prepare<[], string>(`SELECT value FROM meta WHERE key = '${PHONE_GENERATION}'`).pluck(),
    bumpPhoneGeneration: db.prepare(
      `UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = '${PHONE_GENERATION}'`,
    ),
  };
  q.initMeta.run(PHONE_GENERATION, '0');
  return {
    reads: {
      async getMeta(key) {
        return q.getMeta.get(key)?.value ?? null;
      },
      async initMeta(key, value) {
        q.initMeta.run(key, value);
        return q.getMeta.get(key)!.value;
      },
      async acquireLease(name, holder, now, until) {
        // A lease is bounded in time and only says who works on what now: one
        // lost to a power cut went with the process that held it. So it is
        // not worth an fsync; the notifier takes and frees one per NOTIFY.
        return relaxed(() => q.takeLease.run({ name, holder, now, until }).changes === 1);
      },
    },
    writes: {
      guard: ({ name, expect }) => {
        // Inside the batch's IMMEDIATE transaction: nothing else writes between the read and the write.
        const key = guardKey(name);
        const now = Number(q.getMeta.get(key)?.value ?? '0');
        if (now !== expect) throw new RevisionMismatch('guard', name);
        q.setMeta.run(key, String(expect + 1));
      },
    },
    generation: {
      current: () => Number(q.phoneGeneration.get()),
      bump: () => void q.bumpPhoneGeneration.run(),
    },
  };
}
