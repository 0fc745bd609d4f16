// Devices on MongoDB. Fetch, claim and NOTIFY state live in the device
// document but are only ever $set on their own, so a phone's fetch and an
// admin's edit never overwrite each other; an admin update sets every field
// but those.
import type { Filter, Sort } from 'mongodb';
import { deviceStatus, type DeviceRecord, type DeviceStatus } from '../../domain/device.ts';
import { BrokenReference, ClaimUnavailable, RevisionMismatch, type FetchRecord } from '../store.ts';
import { toDevice, type Collections, type DeviceDoc } from './collections.ts';
import { contains, engine, unique, type InBatch, type MongoPart } from './part.ts';

/**
 * deviceStatus() as far as a filter can say it without $expr, which FerretDB
 * does not have: pending and synced compare two fields of one document, so
 * those are told apart as the cursor is read (that comparison takes no index
 * on MongoDB either).
 */
const STATUS_FILTER: Record<DeviceStatus, Filter<DeviceDoc>> = {
  unassigned: { lineCount: 0 },
  never: { lineCount: { $gt: 0 }, fetchedVersion: null },
  pending: { lineCount: { $gt: 0 }, fetchedVersion: { $ne: null } },
  synced: { lineCount: { $gt: 0 }, fetchedVersion: { $ne: null } },
};

/** What recordFetch() sets on the device document: a sighting only its lastSeen. */
function fetchUpdate(f: FetchRecord) {
  if (f.credential === null) return { $set: { lastSeen: { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file } }, $inc: { seenCount: 1 } };
  const lastFetch = { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file, credential: f.credential };
  return { $set: { fetchedVersion: f.version, lastFetch }, $inc: { fetchCount: 1 } };
}

function deviceDoc(record: DeviceRecord): DeviceDoc {
  const { lastSeen, lastFetch, ...rest } = record;
  const seen = lastSeen ? { at: lastSeen.at, ip: lastSeen.ip, userAgent: lastSeen.userAgent, file: lastSeen.file } : null;
  // An explicit null tells this fetch from one stored before proofs were kept (toDevice).
  const fetched = lastFetch ? { ...lastFetch, credential: lastFetch.credential ?? null } : null;
  return { ...rest, _id: record.mac, lineCount: record.lines.length, lastFetch: fetched, fetchCount: lastFetch ? 1 : 0, lastSeen: seen, seenCount: seen ? (lastSeen!.count ?? 1) : 0 };
}

async function checkLines(c: Collections, device: DeviceRecord, s: InBatch): Promise<void> {
  for (const l of device.lines) {
    if (!(await c.extensions.findOne({ _id: l.extension }, s))) {
      throw new BrokenReference(l.extension, 'missing');
    }
  }
}

export function mongoDevices(c: Collections): MongoPart<'devices'> {
  return {
    reads: {
      getDevice(mac) {
        return engine(async () => {
          const doc = await c.devices.findOne({ _id: mac });
          return doc ? toDevice(doc) : null;
        });
      },
      listDevices(query = {}) {
        const filter: Filter<DeviceDoc> = {};
        if (query.vendor !== undefined) filter.vendor = query.vendor;
        if (query.extension !== undefined) filter['lines.extension'] = query.extension;
        if (query.unassigned) filter.lineCount = 0;
        const and: Filter<DeviceDoc>[] = [];
        if (query.status !== undefined) and.push(STATUS_FILTER[query.status]);
        if (query.q !== undefined) {
          const part = contains(query.q);
          and.push({ $or: [{ _id: part }, { label: part }, { model: part }, { 'lines.extension': part }] });
        }
        if (and.length) filter.$and = and;
        if (query.after !== undefined) filter._id = { $gt: query.after };
        if (query.notify !== undefined) filter['notify.state'] = query.notify;
        if (query.site !== undefined) filter.site = query.site;
        const sort: Sort = query.unassigned ? { createdAt: 1, _id: 1 } : { _id: 1 };
        const compared = query.status === 'pending' || query.status === 'synced';
        return engine(async () => {
          const cursor = c.devices.find(filter).sort(sort);
          if (!compared) {
            if (query.limit !== undefined) cursor.limit(query.limit);
            return (await cursor.toArray()).map(toDevice);
          }
          const out: DeviceRecord[] = [];
          for await (const doc of cursor) {
            if (out.length >= (query.limit ?? Infinity)) break;
            const d = toDevice(doc);
            if (deviceStatus(d) === query.status) out.push(d);
          }
          return out;
        });
      },
      recordFetch(mac, f) {
        const update = fetchUpdate(f);
        return engine(async () => {
          await c.devices.updateOne({ _id: mac }, update);
        });
      },
      recordNotify(mac, notify) {
        return engine(async () => {
          await c.devices.updateOne({ _id: mac }, { $set: { notify } });
        });
      },
      recordFetches(fetches) {
        if (fetches.length === 0) return Promise.resolve();
        return engine(async () => {
          // One round trip; ordered, so a device's later fetch in the batch wins.
          const writes = fetches.map(({ mac, fetch }) => ({ updateOne: { filter: { _id: mac }, update: fetchUpdate(fetch) } }));
          await c.devices.bulkWrite(writes, { ordered: true });
        });
      },
    },
    writes: {
      'insert-device': async ({ record }, s) => {
        await checkLines(c, record, s);
        await unique(
          () => c.devices.insertOne(deviceDoc(record), s),
          'device',
          record.mac,
        );
      },
      'update-device': async ({ record, expectRev }, s) => {
        await checkLines(c, record, s);
        const { fetchedVersion: _v, lastFetch: _f, lastSeen: _l, claimUntil: _c, fetchCount: _n, notify: _s, ...fields } = record;
        const r = await c.devices.updateOne({ _id: record.mac, rev: expectRev }, { $set: { ...fields, lineCount: record.lines.length } }, s);
        if (r.matchedCount !== 1) throw new RevisionMismatch('device', record.mac);
      },
      'delete-device': async (op, s) => {
        const r = await c.devices.deleteOne({ _id: op.mac, rev: op.expectRev }, s);
        if (r.deletedCount !== 1) throw new RevisionMismatch('device', op.mac);
        await c.renders.deleteMany({ owner: op.mac }, s);
        await c.uploads.deleteMany({ mac: op.mac }, s);
      },
      'open-claim': async (op, s) => {
        await c.devices.updateOne({ _id: op.mac }, { $set: { claimUntil: op.until } }, s);
      },
      'close-claim': async (op, s) => {
        await c.devices.updateOne({ _id: op.mac }, { $set: { claimUntil: null } }, s);
      },
      'use-claim': async (op, s) => {
        // ISO-8601 UTC times compare correctly as strings.
        const r = await c.devices.updateOne({ _id: op.mac, claimUntil: { $gt: op.at } }, { $set: { claimUntil: null } }, s);
        if (r.matchedCount !== 1) throw new ClaimUnavailable(op.mac);
      },
    },
  };
}
