// Who may act, on MongoDB: API tokens, console users and their sessions. With
// no foreign keys here, deleting a user deletes its sessions explicitly in
// the same batch.
import { DuplicateKey, RevisionMismatch } from '../store.ts';
import type { Collections } from './collections.ts';
import { all, engine, one, unique, type MongoPart } from './part.ts';

export function mongoAccounts(c: Collections): MongoPart<'accounts'> {
  return {
    reads: {
      findTokenByHash(hash) {
        return one(() => c.tokens.findOne({ hash }));
      },
      getToken(id) {
        return one(() => c.tokens.findOne({ _id: id }));
      },
      listTokens() {
        return all(() => c.tokens.find().sort({ createdAt: 1, _id: 1 }));
      },
      getUser(username) {
        return one(() => c.users.findOne({ _id: username }));
      },
      listUsers() {
        return all(() => c.users.find().sort({ _id: 1 }));
      },
      findSession(idHash) {
        return one(() => c.sessions.findOne({ _id: idHash }));
      },
      touchSession(idHash, at) {
        return engine(async () => {
          await c.sessions.updateOne({ _id: idHash, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
        });
      },
    },
    writes: {
      'insert-token': async ({ record }, s) => {
        await unique(() => c.tokens.insertOne({ ...record, _id: record.id }, s), 'token', record.id);
      },
      'delete-token': async (op, s) => {
        await c.tokens.deleteOne({ _id: op.id }, s);
      },
      'insert-user': async ({ record, first }, s) => {
        // Without transactions two first admins can race here; the setup page is a one-off on a fresh install.
        if (first && (await c.users.findOne({}, s))) throw new DuplicateKey('user', record.username);
        await unique(() => c.users.insertOne({ ...record, _id: record.username }, s), 'user', record.username);
      },
      'update-user': async ({ record, expectRev }, s) => {
        const r = await c.users.replaceOne({ _id: record.username, rev: expectRev }, record, s);
        if (r.matchedCount !== 1) throw new RevisionMismatch('user', record.username);
      },
      'delete-user': async (op, s) => {
        const r = await c.users.deleteOne({ _id: op.username, rev: op.expectRev }, s);
        if (r.deletedCount !== 1) throw new RevisionMismatch('user', op.username);
        await c.sessions.deleteMany({ username: op.username }, s);
      },
      'insert-session': async ({ record }, s) => {
        if (!(await c.users.findOne({ _id: record.username }, s))) throw new RevisionMismatch('user', record.username);
        await c.sessions.insertOne({ ...record, _id: record.idHash }, s);
      },
      'delete-session': async (op, s) => {
        await c.sessions.deleteOne({ _id: op.idHash }, s);
      },
      'delete-user-sessions': async (op, s) => {
        await c.sessions.deleteMany({ username: op.username }, s);
      },
      'delete-expired-sessions': async (op, s) => {
        await c.sessions.deleteMany({ $or: [{ expiresAt: { $lte: op.now } }, { lastSeenAt: { $lt: op.idleBefore } }] }, s);
      },
    },
  };
}
