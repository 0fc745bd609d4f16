// Who may act, on MongoDB: API tokens, console users and their sessions. With
// no foreign keys here, deleting a user deletes its sessions explicitly in
// the same batch. Updates and deletes of a user hold the lock on the revision
// they name, and the first admin the lock on there being none (exclusive.ts).
import { DuplicateKey, RevisionMismatch } from '../store.ts';
import type { Collections } from './collections.ts';
import { atRevision, exclusive, TAKEN } from './exclusive.ts';
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
        const insert = () => unique(() => c.users.insertOne({ ...record, _id: record.username }, s), 'user', record.username);
        if (!first) return insert();
        // Of setup pages submitted at once, one makes the first admin. In a
        // transaction, which takes no lock, two could still each insert a
        // different user: a one-off race on a fresh install.
        const made = await exclusive(c, 'users:first', s, async () => {
          if (await c.users.findOne({}, s)) throw new DuplicateKey('user', record.username);
          await insert();
        });
        if (made === TAKEN) throw new DuplicateKey('user', record.username);
      },
      'update-user': async ({ record, expectRev }, s) => {
        await atRevision(c, c.users, 'user', record.username, expectRev, s, (pinned) => c.users.replaceOne(pinned, record, s));
      },
      'delete-user': async (op, s) => {
        await atRevision(c, c.users, 'user', op.username, op.expectRev, s, (pinned) => c.users.deleteOne(pinned, s));
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
