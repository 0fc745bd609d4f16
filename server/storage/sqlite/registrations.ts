// Registration reports in SQLite: one row per (extension, contact), the
// newest of an extension kept, the rest dropped, so a registrar reporting
// made-up contacts cannot grow the file. Reported state, not an admin
// write: committed without an fsync of its own, like fetch records.
import type Database from 'better-sqlite3';
import type { RegistrationRecord } from '../../domain/registration.ts';
import type { Relaxed, SqlitePart } from './part.ts';

export function sqliteRegistrations(db: Database.Database, relaxed: Relaxed): SqlitePart<'registrations'> {
  const q = {
    upsert: db.prepare(
      `INSERT INTO registrations (extension, contact, at, doc) SELECT @extension, @contact, @at, @doc
         WHERE EXISTS (SELECT 1 FROM extensions WHERE number = @extension)
       ON CONFLICT (extension, contact) DO UPDATE SET at = excluded.at, doc = excluded.doc`,
    ),
    trim: db.prepare(
      `DELETE FROM registrations WHERE extension = @extension AND contact NOT IN
         (SELECT contact FROM registrations WHERE extension = @extension ORDER BY at DESC, contact LIMIT @keep)`,
    ),
    ofExtension: db.prepare<[string], { doc: string }>('SELECT doc FROM registrations WHERE extension = ? ORDER BY at DESC, contact'),
    all: db.prepare<[], { doc: string }>('SELECT doc FROM registrations ORDER BY extension, at DESC, contact'),
  };
  const parse = (rows: { doc: string }[]) => rows.map((r) => JSON.parse(r.doc) as RegistrationRecord);
  return {
    reads: {
      async recordRegistration(r, keep) {
        relaxed(() =>
          db
            .transaction(() => {
              q.upsert.run({ extension: r.extension, contact: r.contact, at: r.at, doc: JSON.stringify(r) });
              q.trim.run({ extension: r.extension, keep });
            })
            .immediate(),
        );
      },
      async listRegistrations(query = {}) {
        return parse(query.extension === undefined ? q.all.all() : q.ofExtension.all(query.extension));
      },
    },
    writes: {},
  };
}
