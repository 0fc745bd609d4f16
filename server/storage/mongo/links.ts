// Softphone links on MongoDB. Counting a download is one conditional update,
// so two downloads racing for the last use cannot both win.
import type { Filter } from 'mongodb';
import { BrokenReference, LinkUnavailable } from '../store.ts';
import type { Collections, LinkDoc } from './collections.ts';
import { all, one, unique, type MongoPart } from './part.ts';

export function mongoLinks(c: Collections): MongoPart<'links'> {
  return {
    reads: {
      findLinkByHash(tokenHash) {
        return one(() => c.links.findOne({ tokenHash }));
      },
      getLink(id) {
        return one(() => c.links.findOne({ _id: id }));
      },
      listLinks(query = {}) {
        const filter: Filter<LinkDoc> = query.extension === undefined ? {} : { extension: query.extension };
        return all(() => c.links.find(filter).sort({ createdAt: -1, _id: 1 }));
      },
    },
    writes: {
      'insert-link': async ({ record }, s) => {
        if (!(await c.extensions.findOne({ _id: record.extension }, s))) throw new BrokenReference(record.extension, 'missing');
        await unique(() => c.links.insertOne({ ...record, _id: record.id }, s), 'link', record.id);
      },
      'use-link': async (op, s) => {
        const used = await c.links.findOneAndUpdate(
          { _id: op.id, revokedAt: null, expiresAt: { $gt: op.at }, $expr: { $lt: ['$uses', '$maxUses'] } },
          { $inc: { uses: 1 }, $set: { lastUsedAt: op.at, lastSecretVersion: op.secretVersion } },
          s,
        );
        if (!used) throw new LinkUnavailable(op.id);
      },
      'revoke-link': async (op, s) => {
        await c.links.updateOne({ _id: op.id, revokedAt: null }, { $set: { revokedAt: op.at } }, s);
      },
    },
  };
}
