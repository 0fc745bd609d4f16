// Extensions on MongoDB, keyed by number, with the checks SQLite's foreign
// keys make for it: no extension goes while a device line points at it, and
// its links and renders go with it. Updates and deletes move an extension
// from the revision they name holding the lock on it (exclusive.ts), so of
// writers planned from one revision exactly one lands, on every engine.
import type { Filter } from 'mongodb';
import { DEFAULT_SITE } from '../../domain/site.ts';
import { BrokenReference, RevisionMismatch } from '../store.ts';
import type { Collections, ExtensionDoc } from './collections.ts';
import { atRevision } from './exclusive.ts';
import { all, contains, one, unique, type MongoPart } from './part.ts';

export function mongoExtensions(c: Collections): MongoPart<'extensions'> {
  return {
    reads: {
      getExtension(number) {
        return one(() => c.extensions.findOne({ _id: number }));
      },
      listExtensions(query = {}) {
        const filter: Filter<ExtensionDoc> = {};
        if (query.q !== undefined) {
          const part = contains(query.q);
          filter.$or = [{ _id: part }, { displayName: part }, { authUsername: part }, { label: part }];
        }
        if (query.after !== undefined) filter._id = { $gt: query.after };
        // Extensions written before sites existed have none: they are in the default site.
        if (query.site !== undefined) filter.site = query.site === DEFAULT_SITE ? ({ $in: [null, DEFAULT_SITE] } as Filter<ExtensionDoc>['site']) : query.site;
        return all(() => {
          const cursor = c.extensions.find(filter).sort({ _id: 1 });
          if (query.limit !== undefined) cursor.limit(query.limit);
          return cursor;
        });
      },
      findExtensionsByAuthUsername(authUsername) {
        return all(() => c.extensions.find({ authUsername }).sort({ _id: 1 }));
      },
    },
    writes: {
      'insert-extension': async (op, s) => {
        await unique(() => c.extensions.insertOne({ ...op.record, _id: op.record.number }, s), 'extension', op.record.number);
      },
      'update-extension': async (op, s) => {
        await atRevision(c, c.extensions, 'extension', op.record.number, op.expectRev, s, (pinned) => c.extensions.replaceOne(pinned, op.record, s));
      },
      'expect-extension': async (op, s) => {
        if (!(await c.extensions.findOne({ _id: op.number, rev: op.rev }, s))) throw new RevisionMismatch('extension', op.number);
      },
      'delete-extension': async (op, s) => {
        if (await c.devices.findOne({ 'lines.extension': op.number }, s)) throw new BrokenReference(op.number, 'in-use');
        await atRevision(c, c.extensions, 'extension', op.number, op.expectRev, s, (pinned) => c.extensions.deleteOne(pinned, s));
        await c.links.deleteMany({ extension: op.number }, s);
        await c.linkUses.deleteMany({ extension: op.number }, s);
        await c.renders.deleteMany({ owner: `extension:${op.number}` }, s);
        await c.registrations.deleteMany({ extension: op.number }, s);
      },
    },
  };
}
