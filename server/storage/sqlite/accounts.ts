// Who may act, in SQLite: API tokens, console users and their sessions. A
// session goes with its user (a foreign key), so deleting a user or changing
// a password signs them out everywhere in the same batch.
import type Database from 'better-sqlite3';
import { DuplicateKey, RevisionMismatch } from '../store.ts';
import type { Relaxed, SqlitePart } from './part.ts';
import { expectChanged, parse, parseAll, toSession, type Row, type SessionRow } from './rows.ts';

export function sqliteAccounts(db: Database.Database, relaxed: Relaxed): SqlitePart<'accounts'> {
  const q = {
    findToken: db.prepare<[string], Row>('SELECT doc FROM tokens WHERE hash = ?'),
    getToken: db.prepare<[string], Row>('SELECT doc FROM tokens WHERE id = ?'),
    listTokens: db.prepare<[], Row>("SELECT doc FROM tokens ORDER BY json_extract(doc, '$.createdAt'), id"),
    insertToken: db.prepare('INSERT INTO tokens (id, hash, doc) VALUES (?, ?, ?)'),
    deleteToken: db.prepare('DELETE FROM tokens WHERE id = ?'),
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
  };
  return {
    reads: {
      async findTokenByHash(hash) {
        return parse(q.findToken.get(hash));
      },
      async getToken(id) {
        return parse(q.getToken.get(id));
      },
      async listTokens() {
        return parseAll(q.listTokens.all());
      },
      async getUser(username) {
        return parse(q.getUser.get(username));
      },
      async listUsers() {
        return parseAll(q.listUsers.all());
      },
      async findSession(idHash) {
        const row = q.findSession.get(idHash);
        return row ? toSession(row) : null;
      },
      async touchSession(idHash, at) {
        relaxed(() => q.touchSession.run(at, idHash, at));
      },
    },
    writes: {
      'insert-token': ({ record }) => {
        if (q.findToken.get(record.hash) || q.getToken.get(record.id)) throw new DuplicateKey('token', record.id);
        q.insertToken.run(record.id, record.hash, JSON.stringify(record));
      },
      'delete-token': (op) => void q.deleteToken.run(op.id),
      'insert-user': ({ record, first }) => {
        if (q.getUser.get(record.username)) throw new DuplicateKey('user', record.username);
        if (first && q.anyUser.get()) throw new DuplicateKey('user', record.username);
        q.insertUser.run(record.username, record.rev, JSON.stringify(record));
      },
      'update-user': ({ record, expectRev }) => {
        expectChanged(q.updateUser.run(record.rev, JSON.stringify(record), record.username, expectRev).changes, 'user', record.username);
      },
      'delete-user': (op) => {
        expectChanged(q.deleteUser.run(op.username, op.expectRev).changes, 'user', op.username);
      },
      'insert-session': ({ record }) => {
        if (!q.getUser.get(record.username)) throw new RevisionMismatch('user', record.username);
        q.insertSession.run(record);
      },
      'delete-session': (op) => void q.deleteSession.run(op.idHash),
      'delete-user-sessions': (op) => void q.deleteUserSessions.run(op.username),
      'delete-expired-sessions': (op) => void q.deleteExpiredSessions.run(op.now, op.idleBefore),
    },
  };
}
