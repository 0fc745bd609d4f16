// Softphone links on MongoDB. Counting a download is a conditional update on
// the count it read, so two downloads racing for the last use cannot both win.
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
        // The count read is the update's condition ($expr comparing two
        // fields is not in FerretDB): of two downloads racing for the last
        // use, the second finds the count moved, reads again and is refused.
        for (;;) {
          const link = await c.links.findOne({ _id: op.id }, s);
          if (!link || link.revokedAt !== null || link.expiresAt <= op.at || link.uses >= link.maxUses) throw new LinkUnavailable(op.id);
          const used = await c.links.updateOne(
            { _id: op.id, uses: link.uses, revokedAt: null },
            { $inc: { uses: 1 }, $set: { lastUsedAt: op.at, lastSecretVersion: op.secretVersion } },
            s,
          );
          if (used.matchedCount === 1) return;
        }
      },
      'revoke-link': async (op, s) => {
        await c.links.updateOne({ _id: op.id, revokedAt: null }, { $set: { revokedAt: op.at } }, s);
      },
    },
  };
}
