// Devices on MongoDB. Fetch, claim and NOTIFY state live in the device
// document but are only ever $set on their own, so a phone's fetch and an
// admin's edit never overwrite each other; an admin update sets every field
// but those. Several kinds of writer share that document, and an engine that
// writes an update back whole (FerretDB) would let one put back what another
// just changed, so every write goes through rewrite() (exclusive.ts).
import type { Filter, Sort, UpdateFilter } from 'mongodb';
import { deviceStatus, type DeviceRecord, type DeviceStatus } from '../../domain/device.ts';
import { BrokenReference, ClaimUnavailable, RevisionMismatch, type FetchRecord } from '../store.ts';
import { toDevice, type Collections, type DeviceDoc } from './collections.ts';
import { rewrite, type Rewrite } from './exclusive.ts';
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

type Change = { $set: Record<string, unknown>; $inc?: Record<string, number> };

/** What recordFetch() sets on the device document: a sighting only its lastSeen. */
function fetchUpdate(f: FetchRecord): Change {
  if (f.credential === null) return { $set: { lastSeen: { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file } }, $inc: { seenCount: 1 } };
  const lastFetch = { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file, credential: f.credential };
  return { $set: { fetchedVersion: f.version, lastFetch }, $inc: { fetchCount: 1 } };
}

/** Two changes as one, the later one's fields winning, its counts added. */
function then(a: Change, b: Change): Change {
  const $inc = { ...a.$inc };
  for (const [k, v] of Object.entries(b.$inc ?? {})) $inc[k] = ($inc[k] ?? 0) + v;
  return { $set: { ...a.$set, ...b.$set }, $inc };
}

/** A write of `change` to the device as read, or null when there is no such device. */
const change = (c: Collections, doc: DeviceDoc | null, update: Change, s: InBatch): Rewrite<DeviceDoc> | null =>
  doc && (async (pinned, w) => (await c.devices.updateOne(pinned, { ...update, $set: { ...update.$set, w } } as UpdateFilter<DeviceDoc>, s)).matchedCount === 1);

/** Fetch records written at once: plenty to keep the engine busy, few enough not to crowd out other work. */
const RECORDING = 16;

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

/** Phone state is recorded outside any batch. */
const none: InBatch = { session: undefined };

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
        return engine(async () => {
          await rewrite(c, c.devices, mac, none, (doc) => change(c, doc, fetchUpdate(f), none));
        });
      },
      recordNotify(mac, notify) {
        return engine(async () => {
          await rewrite(c, c.devices, mac, none, (doc) => change(c, doc, { $set: { notify } }, none));
        });
      },
      recordFetches(fetches) {
        // One write per device, its records in order: a later fetch's fields win, counts add up.
        const byMac = new Map<string, Change>();
        for (const { mac, fetch } of fetches) {
          const prior = byMac.get(mac);
          byMac.set(mac, prior ? then(prior, fetchUpdate(fetch)) : fetchUpdate(fetch));
        }
        const queue = [...byMac];
        const worker = async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const [mac, update] = next;
            await rewrite(c, c.devices, mac, none, (doc) => change(c, doc, update, none));
          }
        };
        return engine(async () => {
          await Promise.all(Array.from({ length: Math.min(RECORDING, queue.length) }, worker));
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
        await rewrite(c, c.devices, record.mac, s, (doc) => {
          if (doc?.rev !== expectRev) throw new RevisionMismatch('device', record.mac);
          return change(c, doc, { $set: { ...fields, lineCount: record.lines.length } }, s);
        });
      },
      'delete-device': async (op, s) => {
        await rewrite(c, c.devices, op.mac, s, (doc) => {
          if (doc?.rev !== op.expectRev) throw new RevisionMismatch('device', op.mac);
          return async (pinned) => (await c.devices.deleteOne(pinned, s)).deletedCount === 1;
        });
        await c.renders.deleteMany({ owner: op.mac }, s);
        await c.uploads.deleteMany({ mac: op.mac }, s);
      },
      'open-claim': async (op, s) => {
        await rewrite(c, c.devices, op.mac, s, (doc) => change(c, doc, { $set: { claimUntil: op.until } }, s));
      },
      'close-claim': async (op, s) => {
        await rewrite(c, c.devices, op.mac, s, (doc) => change(c, doc, { $set: { claimUntil: null } }, s));
      },
      'use-claim': async (op, s) => {
        // Of phones racing for one window, the first to write closes it; the others read it closed.
        await rewrite(c, c.devices, op.mac, s, (doc) => {
          // ISO-8601 UTC times compare correctly as strings.
          if (!doc?.claimUntil || doc.claimUntil <= op.at) throw new ClaimUnavailable(op.mac);
          return change(c, doc, { $set: { claimUntil: null } }, s);
        });
      },
    },
  };
}
