// Sites on MongoDB, keyed by name. Whether a site is still used is the use
// case's check, held by the site's store guard (domain/site.ts siteGuard).
// Updates and deletes hold the lock on the revision they name (exclusive.ts).
import type { Collections } from './collections.ts';
import { atRevision } from './exclusive.ts';
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
        await atRevision(c, c.sites, 'site', op.record.name, op.expectRev, s, (pinned) => c.sites.replaceOne(pinned, op.record, s));
      },
      'delete-site': async (op, s) => {
        await atRevision(c, c.sites, 'site', op.name, op.expectRev, s, (pinned) => c.sites.deleteOne(pinned, s));
      },
    },
  };
}
