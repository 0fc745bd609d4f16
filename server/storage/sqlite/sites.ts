// Sites in SQLite, keyed by name. Whether a site is still used is the use
// case's check, held by the site's store guard (domain/site.ts siteGuard).
import type Database from 'better-sqlite3';
import { DuplicateKey } from '../store.ts';
import type { SqlitePart } from './part.ts';
import { expectChanged, parse, parseAll, type Row } from './rows.ts';

export function sqliteSites(db: Database.Database): SqlitePart<'sites'> {
  const q = {
    get: db.prepare<[string], Row>('SELECT doc FROM sites WHERE name = ?'),
    list: db.prepare<[], Row>('SELECT doc FROM sites ORDER BY name'),
    insert: db.prepare('INSERT INTO sites (name, rev, doc) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING'),
    update: db.prepare('UPDATE sites SET rev = ?, doc = ? WHERE name = ? AND rev = ?'),
    remove: db.prepare('DELETE FROM sites WHERE name = ? AND rev = ?'),
  };
  return {
    reads: {
      async getSite(name) {
        return parse(q.get.get(name));
      },
      async listSites() {
        return parseAll(q.list.all());
      },
    },
    writes: {
      'insert-site': (op) => {
        if (q.insert.run(op.record.name, op.record.rev, JSON.stringify(op.record)).changes !== 1) throw new DuplicateKey('site', op.record.name);
      },
      'update-site': (op) => expectChanged(q.update.run(op.record.rev, JSON.stringify(op.record), op.record.name, op.expectRev).changes, 'site', op.record.name),
      'delete-site': (op) => expectChanged(q.remove.run(op.name, op.expectRev).changes, 'site', op.name),
    },
  };
}
