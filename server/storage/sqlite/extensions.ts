// Extensions in SQLite: the document by number, with the checks that keep
// device lines and links pointing at extensions that exist (the foreign keys
// back them up, but the Store's errors name what went wrong).
import type Database from 'better-sqlite3';
import { DEFAULT_SITE } from '../../domain/site.ts';
import { BrokenReference, DuplicateKey, RevisionMismatch } from '../store.ts';
import { Where, type SqlitePart } from './part.ts';
import { expectChanged, parse, parseAll, type Row } from './rows.ts';

/** Whether an extension exists: what a device line or a link must point at. */
export function extensionLookup(db: Database.Database): (number: string) => boolean {
  const exists = db.prepare<[string], { one: number }>('SELECT 1 AS one FROM extensions WHERE number = ?');
  return (number) => exists.get(number) !== undefined;
}

export function sqliteExtensions(db: Database.Database): SqlitePart<'extensions'> {
  const exists = extensionLookup(db);
  const q = {
    getExtension: db.prepare<[string], Row>('SELECT doc FROM extensions WHERE number = ?'),
    listExtensions: db.prepare<[], Row>('SELECT doc FROM extensions ORDER BY number'),
    extensionsByAuth: db.prepare<[string], Row>(
      "SELECT doc FROM extensions WHERE json_extract(doc, '$.authUsername') = ? ORDER BY number",
    ),
    insertExtension: db.prepare('INSERT INTO extensions (number, rev, doc) VALUES (?, ?, ?)'),
    updateExtension: db.prepare('UPDATE extensions SET rev = ?, doc = ? WHERE number = ? AND rev = ?'),
    deleteExtension: db.prepare('DELETE FROM extensions WHERE number = ? AND rev = ?'),
    extensionAtRev: db.prepare<[string, number], { one: number }>('SELECT 1 AS one FROM extensions WHERE number = ? AND rev = ?'),
    extensionInUse: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM device_lines WHERE extension = ? LIMIT 1'),
    deleteOwnerRenders: db.prepare('DELETE FROM renders WHERE owner = ?'),
  };
  return {
    reads: {
      async getExtension(number) {
        return parse(q.getExtension.get(number));
      },
      async listExtensions(query = {}) {
        if (query.q === undefined && query.after === undefined && query.limit === undefined && query.site === undefined) {
          return parseAll(q.listExtensions.all());
        }
        const where = new Where();
        if (query.q !== undefined) {
          const fields = ['number', "json_extract(doc, '$.displayName')", "json_extract(doc, '$.authUsername')", "json_extract(doc, '$.label')"];
          where.add(`(${fields.map((f) => `instr(lower(${f}), ?) > 0`).join(' OR ')})`, ...fields.map(() => query.q!.toLowerCase()));
        }
        if (query.after !== undefined) where.add('number > ?', query.after);
        if (query.site !== undefined) where.add(`coalesce(json_extract(doc, '$.site'), '${DEFAULT_SITE}') = ?`, query.site);
        const sql = `SELECT doc FROM extensions ${where} ORDER BY number LIMIT ?`;
        return parseAll(db.prepare<(string | number)[], Row>(sql).all(...where.args, query.limit ?? -1));
      },
      async findExtensionsByAuthUsername(authUsername) {
        return parseAll(q.extensionsByAuth.all(authUsername));
      },
    },
    writes: {
      'insert-extension': (op) => {
        if (exists(op.record.number)) throw new DuplicateKey('extension', op.record.number);
        q.insertExtension.run(op.record.number, op.record.rev, JSON.stringify(op.record));
      },
      'update-extension': (op) => {
        expectChanged(
          q.updateExtension.run(op.record.rev, JSON.stringify(op.record), op.record.number, op.expectRev).changes,
          'extension',
          op.record.number,
        );
      },
      'expect-extension': (op) => {
        if (!q.extensionAtRev.get(op.number, op.rev)) throw new RevisionMismatch('extension', op.number);
      },
      'delete-extension': (op) => {
        if (q.extensionInUse.get(op.number)) throw new BrokenReference(op.number, 'in-use');
        expectChanged(q.deleteExtension.run(op.number, op.expectRev).changes, 'extension', op.number);
        q.deleteOwnerRenders.run(`extension:${op.number}`);
      },
    },
  };
}
