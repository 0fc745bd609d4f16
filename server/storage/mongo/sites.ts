// Sites on MongoDB, keyed by name. Whether a site is still used is the use
// case's check, held by the site's store guard (domain/site.ts siteGuard).
// Updates and deletes hold the lock on the revision they name (exclusive.ts).
import { RevisionMismatch } from '../store.ts';
import type { Collections } from './collections.ts';
import { exclusive, TAKEN } from './exclusive.ts';
import { all, one, unique, type MongoPart } from './part.ts';

export function mongoSites(c: Collections): MongoPart<'sites'> {
  return {
    reads: {
      getSite(name) {
        return one(() => c.sites.findOne({ _id: name }));
      },
      listSites() {
        return all(() => c.sites.find().sort({ _id: 1 }));
      },
    },
    writes: {
      'insert-site': async (op, s) => {
        await unique(() => c.sites.insertOne({ ...op.record, _id: op.record.name }, s), 'site', op.record.name);
      },
      'update-site': async (op, s) => {
        const name = op.record.name;
        const r = await exclusive(c, `sites:${name}#${op.expectRev}`, s, () => c.sites.replaceOne({ _id: name, rev: op.expectRev }, op.record, s));
        if (r === TAKEN || r.matchedCount !== 1) throw new RevisionMismatch('site', name);
      },
      'delete-site': async (op, s) => {
        const r = await exclusive(c, `sites:${op.name}#${op.expectRev}`, s, () => c.sites.deleteOne({ _id: op.name, rev: op.expectRev }, s));
        if (r === TAKEN || r.deletedCount !== 1) throw new RevisionMismatch('site', op.name);
      },
    },
  };
}
