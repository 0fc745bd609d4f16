// Registration reports on MongoDB: one document per (extension, contact),
// the newest of an extension kept and the rest dropped. Reported state: each
// report is one upsert, outside any batch.
import type { RegistrationRecord } from '../../domain/registration.ts';
import type { Collections } from './collections.ts';
import { engine, put, type MongoPart } from './part.ts';

const idOf = (r: Pick<RegistrationRecord, 'extension' | 'contact'>) => `${r.extension}\n${r.contact}`;

export function mongoRegistrations(c: Collections): MongoPart<'registrations'> {
  return {
    reads: {
      recordRegistration(r, keep) {
        return engine(async () => {
          // Only for an extension that exists: a report racing its deletion leaves nothing behind.
          if (!(await c.extensions.findOne({ _id: r.extension }, { projection: { _id: 1 } }))) return;
          await put(c.registrations, { ...r, _id: idOf(r) }, { session: undefined });
          const stale = await c.registrations.find({ extension: r.extension }).sort({ at: -1, contact: 1 }).skip(keep).project({ _id: 1 }).toArray();
          if (stale.length) await c.registrations.deleteMany({ _id: { $in: stale.map((d) => d._id) } });
        });
      },
      listRegistrations(query = {}) {
        return engine(async () => {
          const docs = await c.registrations.find(query.extension === undefined ? {} : { extension: query.extension }).sort({ extension: 1, at: -1, contact: 1 }).toArray();
          return docs.map(({ _id: _i, ...r }) => r);
        });
      },
    },
    writes: {},
  };
}
