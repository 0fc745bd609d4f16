// Softphone links in SQLite. Columns rather than a document, so that counting
// a download is one conditional UPDATE that two downloads cannot both win.
import type Database from 'better-sqlite3';
import { BrokenReference, DuplicateKey, LinkUnavailable } from '../store.ts';
import { extensionLookup } from './extensions.ts';
import type { SqlitePart } from './part.ts';
import { toLink, type LinkRow } from './rows.ts';

export function sqliteLinks(db: Database.Database): SqlitePart<'links'> {
  const extensionExists = extensionLookup(db);
  const q = {
    findLink: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE token_hash = ?'),
    getLink: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE id = ?'),
    listLinks: db.prepare<[], LinkRow>('SELECT * FROM links ORDER BY created_at DESC, id'),
    listExtensionLinks: db.prepare<[string], LinkRow>('SELECT * FROM links WHERE extension = ? ORDER BY created_at DESC, id'),
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
  };
  return {
    reads: {
      async findLinkByHash(tokenHash) {
        const row = q.findLink.get(tokenHash);
        return row ? toLink(row) : null;
      },
      async getLink(id) {
        const row = q.getLink.get(id);
        return row ? toLink(row) : null;
      },
      async listLinks(query = {}) {
        const rows = query.extension === undefined ? q.listLinks.all() : q.listExtensionLinks.all(query.extension);
        return rows.map(toLink);
      },
    },
    writes: {
      'insert-link': ({ record }) => {
        if (q.findLink.get(record.tokenHash) || q.getLink.get(record.id)) throw new DuplicateKey('link', record.id);
        if (!extensionExists(record.extension)) throw new BrokenReference(record.extension, 'missing');
        q.insertLink.run({ ...record, parentId: record.parentId ?? null });
      },
      'use-link': (op) => {
        // ISO-8601 UTC times compare correctly as text.
        if (q.useLink.run({ id: op.id, at: op.at, secretVersion: op.secretVersion }).changes !== 1) {
          throw new LinkUnavailable(op.id);
        }
      },
      'revoke-link': (op) => void q.revokeLink.run(op.at, op.id),
    },
  };
}
