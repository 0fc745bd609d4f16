// The audit trail in SQLite: append-only, written inside the batch whose
// change it records, so an event never exists without its change or the
// other way round. The row id is the event's id and its paging key.
import type Database from 'better-sqlite3';
import type { AuditEvent } from '../../domain/audit.ts';
import { guard, Where, type SqlitePart } from './part.ts';
import type { Row } from './rows.ts';

export function sqliteAudit(db: Database.Database): SqlitePart<'audit'> {
  const insertAudit = db.prepare('INSERT INTO audit (at, action, target, doc) VALUES (?, ?, ?, ?)');
  const prune = db.prepare('DELETE FROM audit WHERE at < ?');
  return {
    reads: {
      async listAudit(query) {
        const where = new Where();
        if (query.action !== undefined) where.add('action = ?', query.action);
        // By the action index: a prefix is a range of it.
        if (query.actionPrefix !== undefined) where.add('action >= ? AND action < ?', query.actionPrefix, query.actionPrefix + '\uffff');
        if (query.since !== undefined) where.add('at >= ?', query.since);
        if (query.until !== undefined) where.add('at < ?', query.until);
        if (query.target !== undefined) {
          // "1001" finds "extension:1001"; "extension:1001" finds only that.
          where.add(query.target.includes(':') ? 'target = ?' : "substr(target, instr(target, ':') + 1) = ?", query.target);
        }
        if (query.beforeId !== undefined) where.add('id < ?', query.beforeId);
        const sql = `SELECT id, doc FROM audit ${where} ORDER BY id DESC LIMIT ?`;
        const rows = db.prepare<(string | number)[], Row & { id: number }>(sql).all(...where.args, query.limit);
        return rows.map((r) => ({ ...(JSON.parse(r.doc) as AuditEvent), id: r.id }));
      },
      async pruneAudit(before) {
        // ISO-8601 UTC times compare correctly as text.
        return guard(() => prune.run(before).changes);
      },
    },
    writes: {
      audit: (op) => {
        const { id: _ignored, ...event } = op.event;
        insertAudit.run(event.at, event.action, event.target, JSON.stringify(event));
      },
    },
  };
}
