// How each write operation of a batch is applied on MongoDB, inside the
// batch's transaction when there is one.
import type { ClientSession } from 'mongodb';
import type { DeviceRecord } from '../domain/device.ts';
import { isDuplicate, renderId, targetKey, uploadId, type Collections } from './mongo-collections.ts';
import { BrokenReference, ClaimUnavailable, DuplicateKey, LinkUnavailable, RevisionMismatch, type WriteOp } from './store.ts';

/** An insert whose unique key (_id or an index) is taken becomes the store's DuplicateKey. */
async function unique(insert: () => Promise<unknown>, entity: DuplicateKey['entity'], key: string): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (isDuplicate(err)) throw new DuplicateKey(entity, key);
    throw err;
  }
}

async function nextAuditId(c: Collections, session: ClientSession | undefined): Promise<number> {
  const counter = await c.counters.findOneAndUpdate(
    { _id: 'audit' },
    { $inc: { seq: 1 } },
    { upsert: true, returnDocument: 'after', session },
  );
  return counter!.seq;
}

async function checkLines(c: Collections, device: DeviceRecord, session: ClientSession | undefined): Promise<void> {
  for (const l of device.lines) {
    if (!(await c.extensions.findOne({ _id: l.extension }, { session }))) {
      throw new BrokenReference(l.extension, 'missing');
    }
  }
}

/** Applies one operation, with every check SQLite makes inside its transaction. */
export async function applyOp(c: Collections, op: WriteOp, session: ClientSession | undefined): Promise<void> {
  const s = { session };
  switch (op.op) {
    case 'insert-extension':
      await unique(() => c.extensions.insertOne({ ...op.record, _id: op.record.number }, s), 'extension', op.record.number);
      return;
    case 'update-extension': {
      const r = await c.extensions.replaceOne({ _id: op.record.number, rev: op.expectRev }, op.record, s);
      if (r.matchedCount !== 1) throw new RevisionMismatch('extension', op.record.number);
      return;
    }
    case 'expect-extension':
      if (!(await c.extensions.findOne({ _id: op.number, rev: op.rev }, s))) throw new RevisionMismatch('extension', op.number);
      return;
    case 'delete-extension': {
      if (await c.devices.findOne({ 'lines.extension': op.number }, s)) throw new BrokenReference(op.number, 'in-use');
      const r = await c.extensions.deleteOne({ _id: op.number, rev: op.expectRev }, s);
      if (r.deletedCount !== 1) throw new RevisionMismatch('extension', op.number);
      await c.links.deleteMany({ extension: op.number }, s);
      await c.renders.deleteMany({ owner: `extension:${op.number}` }, s);
      return;
    }
    case 'insert-device':
      await checkLines(c, op.record, session);
      await unique(
        () =>
          c.devices.insertOne(
            { ...op.record, _id: op.record.mac, lineCount: op.record.lines.length, fetchCount: op.record.lastFetch ? 1 : 0 },
            s,
          ),
        'device',
        op.record.mac,
      );
      return;
    case 'update-device': {
      await checkLines(c, op.record, session);
      const { fetchedVersion: _v, lastFetch: _f, claimUntil: _c, fetchCount: _n, notify: _s, ...fields } = op.record;
      const r = await c.devices.updateOne(
        { _id: op.record.mac, rev: op.expectRev },
        { $set: { ...fields, lineCount: op.record.lines.length } },
        s,
      );
      if (r.matchedCount !== 1) throw new RevisionMismatch('device', op.record.mac);
      return;
    }
    case 'delete-device': {
      const r = await c.devices.deleteOne({ _id: op.mac, rev: op.expectRev }, s);
      if (r.deletedCount !== 1) throw new RevisionMismatch('device', op.mac);
      await c.renders.deleteMany({ owner: op.mac }, s);
      await c.uploads.deleteMany({ mac: op.mac }, s);
      return;
    }
    case 'open-claim':
      await c.devices.updateOne({ _id: op.mac }, { $set: { claimUntil: op.until } }, s);
      return;
    case 'close-claim':
      await c.devices.updateOne({ _id: op.mac }, { $set: { claimUntil: null } }, s);
      return;
    case 'use-claim': {
      // ISO-8601 UTC times compare correctly as strings.
      const r = await c.devices.updateOne({ _id: op.mac, claimUntil: { $gt: op.at } }, { $set: { claimUntil: null } }, s);
      if (r.matchedCount !== 1) throw new ClaimUnavailable(op.mac);
      return;
    }
    case 'put-render': {
      const r = op.render;
      await c.renders.replaceOne({ _id: renderId(r.owner, r.file) }, r, { ...s, upsert: true });
      return;
    }
    case 'delete-render':
      await c.renders.deleteOne({ _id: renderId(op.owner, op.file) }, s);
      return;
    case 'put-upload': {
      const u = op.upload;
      if (!(await c.devices.findOne({ _id: u.mac }, s))) throw new RevisionMismatch('device', u.mac);
      await c.uploads.replaceOne({ _id: uploadId(u.mac, u.file) }, u, { ...s, upsert: true });
      return;
    }
    case 'delete-upload':
      await c.uploads.deleteOne({ _id: uploadId(op.mac, op.file) }, s);
      return;
    case 'insert-token':
      await unique(() => c.tokens.insertOne({ ...op.record, _id: op.record.id }, s), 'token', op.record.id);
      return;
    case 'delete-token':
      await c.tokens.deleteOne({ _id: op.id }, s);
      return;
    case 'insert-link':
      if (!(await c.extensions.findOne({ _id: op.record.extension }, s))) {
        throw new BrokenReference(op.record.extension, 'missing');
      }
      await unique(() => c.links.insertOne({ ...op.record, _id: op.record.id }, s), 'link', op.record.id);
      return;
    case 'use-link': {
      // One conditional update: two downloads racing for the last use cannot both win.
      const used = await c.links.findOneAndUpdate(
        { _id: op.id, revokedAt: null, expiresAt: { $gt: op.at }, $expr: { $lt: ['$uses', '$maxUses'] } },
        { $inc: { uses: 1 }, $set: { lastUsedAt: op.at, lastSecretVersion: op.secretVersion } },
        s,
      );
      if (!used) throw new LinkUnavailable(op.id);
      return;
    }
    case 'revoke-link':
      await c.links.updateOne({ _id: op.id, revokedAt: null }, { $set: { revokedAt: op.at } }, s);
      return;
    case 'audit': {
      const { id: _ignored, ...event } = op.event;
      const _id = await nextAuditId(c, session);
      await c.audit.insertOne({ ...event, _id, targetKey: targetKey(event.target) }, s);
      return;
    }
    case 'insert-user':
      // Without transactions two first admins can race here; the setup page is a one-off on a fresh install.
      if (op.first && (await c.users.findOne({}, s))) throw new DuplicateKey('user', op.record.username);
      await unique(() => c.users.insertOne({ ...op.record, _id: op.record.username }, s), 'user', op.record.username);
      return;
    case 'update-user': {
      const r = await c.users.replaceOne({ _id: op.record.username, rev: op.expectRev }, op.record, s);
      if (r.matchedCount !== 1) throw new RevisionMismatch('user', op.record.username);
      return;
    }
    case 'delete-user': {
      const r = await c.users.deleteOne({ _id: op.username, rev: op.expectRev }, s);
      if (r.deletedCount !== 1) throw new RevisionMismatch('user', op.username);
      await c.sessions.deleteMany({ username: op.username }, s);
      return;
    }
    case 'insert-session':
      if (!(await c.users.findOne({ _id: op.record.username }, s))) throw new RevisionMismatch('user', op.record.username);
      await c.sessions.insertOne({ ...op.record, _id: op.record.idHash }, s);
      return;
    case 'delete-session':
      await c.sessions.deleteOne({ _id: op.idHash }, s);
      return;
    case 'delete-user-sessions':
      await c.sessions.deleteMany({ username: op.username }, s);
      return;
    case 'delete-expired-sessions':
      await c.sessions.deleteMany({ $or: [{ expiresAt: { $lte: op.now } }, { lastSeenAt: { $lt: op.idleBefore } }] }, s);
      return;
    case 'insert-webhook':
      await c.webhooks.insertOne({ ...op.record, _id: op.record.id }, s);
      return;
    case 'delete-webhook':
      await c.webhooks.deleteOne({ _id: op.id }, s);
      await c.deliveries.deleteMany({ webhookId: op.id }, s);
      return;
  }
}
