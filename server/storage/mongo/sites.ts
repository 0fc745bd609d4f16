// Sites on MongoDB, keyed by name. Whether a site is still used is the use
// case's check, held by the site's store guard (domain/site.ts siteGuard).
import { RevisionMismatch } from '../store.ts';
import type { Collections } from './collections.ts';
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
        const r = await c.sites.replaceOne({ _id: op.record.name, rev: op.expectRev }, op.record, s);
        if (r.matchedCount !== 1) throw new RevisionMismatch('site', op.record.name);
      },
      'delete-site': async (op, s) => {
        const r = await c.sites.deleteOne({ _id: op.name, rev: op.expectRev }, s);
        if (r.deletedCount !== 1) throw new RevisionMismatch('site', op.name);
      },
    },
  };
}
