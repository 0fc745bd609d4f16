// Softphone links on MongoDB. Each counted use is a document of its own: the
// n-th use inserts `${link}#${n}`, and of downloads racing for one use
// exactly one insert lands, on every engine (a conditional update of a
// count is not atomic on FerretDB). A link's uses are read back by counting
// those documents, so nothing has to catch a counter up afterwards, and a
// use never writes the link document, which would risk putting back a
// revocation made meanwhile.
import type { Filter, WithId } from 'mongodb';
import type { LinkRecord } from '../../domain/link.ts';
import { BrokenReference, LinkUnavailable } from '../store.ts';
import { isDuplicate, strip, type Collections, type LinkDoc, type LinkUseDoc } from './collections.ts';
import { engine, unique, type MongoPart } from './part.ts';

/** The links as records, with the uses their use documents count. */
async function withUses(c: Collections, docs: WithId<LinkDoc>[]): Promise<LinkRecord[]> {
  if (docs.length === 0) return [];
  const uses = await c.linkUses.find({ link: { $in: docs.map((d) => d._id) } }).toArray();
  return docs.map((doc) => {
    const record = strip(doc)!;
    const mine = uses.filter((u) => u.link === doc._id);
    if (mine.length === 0) return record;
    const last = mine.reduce((a, b) => (b.n > a.n ? b : a));
    // A link's own count holds the uses made before uses were documents.
    return { ...record, uses: doc.uses + mine.length, lastUsedAt: last.at, lastSecretVersion: last.secretVersion };
  });
}

export function mongoLinks(c: Collections): MongoPart<'links'> {
  const found = (filter: Filter<LinkDoc>) =>
    engine(async () => {
      const doc = await c.links.findOne(filter);
      return doc ? (await withUses(c, [doc]))[0]! : null;
    });
  return {
    reads: {
      findLinkByHash(tokenHash) {
        return found({ tokenHash });
      },
      getLink(id) {
        return found({ _id: id });
      },
      listLinks(query = {}) {
        const filter: Filter<LinkDoc> = query.extension === undefined ? {} : { extension: query.extension };
        return engine(async () => withUses(c, await c.links.find(filter).sort({ createdAt: -1, _id: 1 }).toArray()));
      },
    },
    writes: {
      'insert-link': async ({ record }, s) => {
        if (!(await c.extensions.findOne({ _id: record.extension }, s))) throw new BrokenReference(record.extension, 'missing');
        await unique(() => c.links.insertOne({ ...record, _id: record.id }, s), 'link', record.id);
      },
      'use-link': async (op, s) => {
        const link = await c.links.findOne({ _id: op.id }, s);
        if (!link || link.revokedAt !== null || link.expiresAt <= op.at) throw new LinkUnavailable(op.id);
        const newest = await c.linkUses.findOne({ link: op.id }, { ...s, sort: { n: -1 } });
        // A use taken by another download meanwhile: this one takes the next, while there is one.
        for (let n = Math.max(link.uses, newest?.n ?? 0) + 1; n <= link.maxUses; n++) {
          const use: LinkUseDoc = { _id: `${op.id}#${n}`, link: op.id, extension: link.extension, n, at: op.at, secretVersion: op.secretVersion };
          try {
            await c.linkUses.insertOne(use, s);
            return;
          } catch (err) {
            // Inside a transaction a duplicate key has ended it: the batch is refused.
            if (!isDuplicate(err) || s.session) throw isDuplicate(err) ? new LinkUnavailable(op.id) : err;
          }
        }
        throw new LinkUnavailable(op.id);
      },
      'revoke-link': async (op, s) => {
        await c.links.updateOne({ _id: op.id, revokedAt: null }, { $set: { revokedAt: op.at } }, s);
      },
    },
  };
}
