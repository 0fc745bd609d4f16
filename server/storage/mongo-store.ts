// The Store on MongoDB, for several server instances sharing one replica set.
// A batch commits in one transaction where the deployment has them (replica
// set or sharded cluster). On a standalone server the ops apply in order; a
// crash part-way leaves entity writes without their renders, which the
// start-up reconcile and the periodic sweep re-render (docs/deployment.md).
// Every check that SQLite does inside its transaction is done here too:
// expected revisions, unique keys, and device lines against extensions.
import {
  MongoClient,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type Db,
  type Filter,
  type Sort,
} from 'mongodb';
import type { AuditEvent, AuditQuery } from '../domain/audit.ts';
import type { DeviceRecord, DeviceStatus } from '../domain/device.ts';
import { StoreUnavailable } from '../domain/errors.ts';
import type { ExtensionRecord } from '../domain/extension.ts';
import type { LinkRecord } from '../domain/link.ts';
import type { NotifyRecord } from '../domain/notify.ts';
import type { TokenRecord } from '../domain/token.ts';
import type { SessionRecord, UserRecord } from '../domain/user.ts';
import type { DeliveryOutcome, DeliveryRecord, WebhookRecord } from '../domain/webhook.ts';
import {
  collections,
  isDuplicate,
  prepare,
  renderId,
  strip,
  uploadId,
  type AuditDoc,
  type Collections,
  type DeviceDoc,
  type ExtensionDoc,
  type LinkDoc,
} from './mongo-collections.ts';
import { applyOp } from './mongo-writes.ts';
import type { DeviceQuery, ExtensionQuery, FetchRecord, RenderRecord, Store, UploadRecord, WriteOp } from './store.ts';

/** deviceStatus() as a MongoDB filter over the device document. */
const STATUS_FILTER: Record<DeviceStatus, Filter<DeviceDoc>> = {
  unassigned: { lineCount: 0 },
  never: { lineCount: { $gt: 0 }, fetchedVersion: null },
  pending: { lineCount: { $gt: 0 }, fetchedVersion: { $ne: null }, $expr: { $lt: ['$fetchedVersion', '$configVersion'] } },
  synced: { lineCount: { $gt: 0 }, fetchedVersion: { $ne: null }, $expr: { $gte: ['$fetchedVersion', '$configVersion'] } },
};

/** A case-insensitive "contains" that treats every character of the text literally. */
const contains = (text: string) => ({ $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' });

function toDevice(doc: DeviceDoc): DeviceRecord {
  const { _id: _i, lineCount: _l, ...record } = doc;
  return { ...record, fetchCount: doc.fetchCount ?? 0 };
}

export interface MongoStoreOptions {
  uri: string;
  /** The database, when the URI does not name one. */
  database?: string | undefined;
  /** How long to look for a server before answering store-unavailable. */
  timeoutMs?: number;
}

export async function openMongoStore({ uri, database, timeoutMs = 5_000 }: MongoStoreOptions): Promise<Store> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs });
  try {
    await client.connect();
    const db = client.db(database);
    const hello = await db.admin().command({ hello: 1 });
    const transactions = typeof hello.setName === 'string' || hello.msg === 'isdbgrid';
    const store = new MongoStore(client, db, transactions);
    await store.createIndexes();
    return store;
  } catch (err) {
    await client.close();
    throw unavailable(err) ?? err;
  }
}

/** An engine that cannot be reached is the store being unavailable, not a bug. */
function unavailable(err: unknown): StoreUnavailable | null {
  const down =
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError;
  return down ? new StoreUnavailable() : null;
}


class MongoStore implements Store {
  private readonly c: Collections;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly transactions: boolean,
  ) {
    this.c = collections(db);
  }

  createIndexes(): Promise<void> {
    return prepare(this.db, this.c);
  }

  /** Runs a read or write, turning an unreachable server into StoreUnavailable. */
  private async engine<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw unavailable(err) ?? err;
    }
  }

  async ping(): Promise<void> {
    await this.engine(() => this.db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  getMeta(key: string): Promise<string | null> {
    return this.engine(async () => (await this.c.meta.findOne({ _id: key }))?.value ?? null);
  }

  initMeta(key: string, value: string): Promise<string> {
    return this.engine(async () => {
      await this.c.meta.updateOne({ _id: key }, { $setOnInsert: { value } }, { upsert: true });
      return (await this.c.meta.findOne({ _id: key }))!.value;
    });
  }

  getExtension(number: string): Promise<ExtensionRecord | null> {
    return this.engine(async () => strip(await this.c.extensions.findOne({ _id: number })));
  }

  listExtensions(query: ExtensionQuery = {}): Promise<ExtensionRecord[]> {
    const filter: Filter<ExtensionDoc> = {};
    if (query.q !== undefined) {
      const part = contains(query.q);
      filter.$or = [{ _id: part }, { displayName: part }, { authUsername: part }, { label: part }];
    }
    if (query.after !== undefined) filter._id = { $gt: query.after };
    return this.engine(async () => {
      const cursor = this.c.extensions.find(filter).sort({ _id: 1 });
      if (query.limit !== undefined) cursor.limit(query.limit);
      return (await cursor.toArray()).map((d) => strip(d)!);
    });
  }

  findExtensionsByAuthUsername(authUsername: string): Promise<ExtensionRecord[]> {
    return this.engine(async () =>
      (await this.c.extensions.find({ authUsername }).sort({ _id: 1 }).toArray()).map((d) => strip(d)!),
    );
  }

  getDevice(mac: string): Promise<DeviceRecord | null> {
    return this.engine(async () => {
      const doc = await this.c.devices.findOne({ _id: mac });
      return doc ? toDevice(doc) : null;
    });
  }

  listDevices(query: DeviceQuery = {}): Promise<DeviceRecord[]> {
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
    const sort: Sort = query.unassigned ? { createdAt: 1, _id: 1 } : { _id: 1 };
    return this.engine(async () => {
      const cursor = this.c.devices.find(filter).sort(sort);
      if (query.limit !== undefined) cursor.limit(query.limit);
      return (await cursor.toArray()).map(toDevice);
    });
  }

  recordFetch(mac: string, f: FetchRecord): Promise<void> {
    const lastFetch = { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file, ...(f.credential ? { credential: f.credential } : {}) };
    return this.engine(async () => {
      await this.c.devices.updateOne({ _id: mac }, { $set: { fetchedVersion: f.version, lastFetch }, $inc: { fetchCount: 1 } });
    });
  }

  recordNotify(mac: string, notify: NotifyRecord): Promise<void> {
    return this.engine(async () => {
      await this.c.devices.updateOne({ _id: mac }, { $set: { notify } });
    });
  }

  recordFetches(fetches: readonly { mac: string; fetch: FetchRecord }[]): Promise<void> {
    if (fetches.length === 0) return Promise.resolve();
    return this.engine(async () => {
      // One round trip; ordered, so a device's later fetch in the batch wins.
      const writes = fetches.map(({ mac, fetch: f }) => ({
        updateOne: {
          filter: { _id: mac },
          update: {
            $set: {
              fetchedVersion: f.version,
              lastFetch: { at: f.at, ip: f.ip, userAgent: f.userAgent, file: f.file, ...(f.credential ? { credential: f.credential } : {}) },
            },
            $inc: { fetchCount: 1 },
          },
        },
      }));
      await this.c.devices.bulkWrite(writes, { ordered: true });
    });
  }

  getPhoneFile(mac: string, file: string): Promise<{ device: DeviceRecord; render: RenderRecord | null } | null> {
    return this.engine(async () => {
      // Two point reads by _id, in parallel: one round trip's wait.
      const [doc, render] = await Promise.all([
        this.c.devices.findOne({ _id: mac }),
        this.c.renders.findOne({ _id: renderId(mac, file) }),
      ]);
      if (!doc) return null;
      return { device: { ...toDevice(doc), lastFetch: null }, render: strip(render) };
    });
  }

  getRender(owner: string, file: string): Promise<RenderRecord | null> {
    return this.engine(async () => strip(await this.c.renders.findOne({ _id: renderId(owner, file) })));
  }

  listRenders(owner: string): Promise<RenderRecord[]> {
    return this.engine(async () => (await this.c.renders.find({ owner }).sort({ file: 1 }).toArray()).map((d) => strip(d)!));
  }

  getUpload(mac: string, file: string): Promise<UploadRecord | null> {
    return this.engine(async () => strip(await this.c.uploads.findOne({ _id: uploadId(mac, file) })));
  }

  listUploads(mac: string): Promise<UploadRecord[]> {
    return this.engine(async () => (await this.c.uploads.find({ mac }).sort({ file: 1 }).toArray()).map((d) => strip(d)!));
  }

  findTokenByHash(hash: string): Promise<TokenRecord | null> {
    return this.engine(async () => strip(await this.c.tokens.findOne({ hash })));
  }

  getToken(id: string): Promise<TokenRecord | null> {
    return this.engine(async () => strip(await this.c.tokens.findOne({ _id: id })));
  }

  listTokens(): Promise<TokenRecord[]> {
    return this.engine(async () => (await this.c.tokens.find().sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => strip(d)!));
  }

  findLinkByHash(tokenHash: string): Promise<LinkRecord | null> {
    return this.engine(async () => strip(await this.c.links.findOne({ tokenHash })));
  }

  getLink(id: string): Promise<LinkRecord | null> {
    return this.engine(async () => strip(await this.c.links.findOne({ _id: id })));
  }

  listLinks(query: { extension?: string } = {}): Promise<LinkRecord[]> {
    const filter: Filter<LinkDoc> = query.extension === undefined ? {} : { extension: query.extension };
    return this.engine(async () =>
      (await this.c.links.find(filter).sort({ createdAt: -1, _id: 1 }).toArray()).map((d) => strip(d)!),
    );
  }

  listAudit(query: AuditQuery): Promise<AuditEvent[]> {
    const filter: Filter<AuditDoc> = {};
    if (query.action !== undefined) filter.action = query.action;
    if (query.target !== undefined) {
      // "1001" finds "extension:1001"; "extension:1001" finds only that.
      if (query.target.includes(':')) filter.target = query.target;
      else filter.targetKey = query.target;
    }
    if (query.beforeId !== undefined) filter._id = { $lt: query.beforeId };
    return this.engine(async () => {
      const docs = await this.c.audit.find(filter).sort({ _id: -1 }).limit(query.limit).toArray();
      return docs.map(({ _id, targetKey: _k, ...event }) => ({ ...event, id: _id }));
    });
  }

  getUser(username: string): Promise<UserRecord | null> {
    return this.engine(async () => strip(await this.c.users.findOne({ _id: username })));
  }

  listUsers(): Promise<UserRecord[]> {
    return this.engine(async () => (await this.c.users.find().sort({ _id: 1 }).toArray()).map((d) => strip(d)!));
  }

  findSession(idHash: string): Promise<SessionRecord | null> {
    return this.engine(async () => strip(await this.c.sessions.findOne({ _id: idHash })));
  }

  touchSession(idHash: string, at: string): Promise<void> {
    return this.engine(async () => {
      await this.c.sessions.updateOne({ _id: idHash, lastSeenAt: { $lt: at } }, { $set: { lastSeenAt: at } });
    });
  }

  acquireLease(name: string, holder: string, now: string, until: string): Promise<boolean> {
    return this.engine(async () => {
      try {
        const taken = await this.c.leases.findOneAndUpdate(
          { _id: name, $or: [{ holder }, { until: { $lte: now } }] },
          { $set: { holder, until } },
          { upsert: true, returnDocument: 'after' },
        );
        return taken?.holder === holder;
      } catch (err) {
        // Held by someone else: the upsert tried to insert a second document with this name.
        if (isDuplicate(err)) return false;
        throw err;
      }
    });
  }

  getWebhook(id: string): Promise<WebhookRecord | null> {
    return this.engine(async () => strip(await this.c.webhooks.findOne({ _id: id })));
  }

  listWebhooks(): Promise<WebhookRecord[]> {
    return this.engine(async () => (await this.c.webhooks.find().sort({ createdAt: 1, _id: 1 }).toArray()).map((d) => strip(d)!));
  }

  enqueueDeliveries(deliveries: DeliveryRecord[]): Promise<void> {
    return this.engine(async () => {
      for (const d of deliveries) {
        // A webhook deleted meanwhile gets nothing queued (its log went with it).
        if (!(await this.c.webhooks.findOne({ _id: d.webhookId }))) continue;
        await this.c.deliveries.insertOne({ ...d, _id: d.id, leaseHolder: null, leaseUntil: null });
      }
    });
  }

  claimDeliveries(holder: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]> {
    return this.engine(async () => {
      const out: DeliveryRecord[] = [];
      // One conditional update per delivery: two instances cannot lease the same one.
      while (out.length < limit) {
        const doc = await this.c.deliveries.findOneAndUpdate(
          { state: 'pending', nextAttemptAt: { $lte: now }, $or: [{ leaseUntil: null }, { leaseUntil: { $lte: now } }] },
          { $set: { leaseHolder: holder, leaseUntil } },
          { sort: { nextAttemptAt: 1, _id: 1 }, returnDocument: 'after' },
        );
        if (!doc) break;
        const { _id: _i, leaseHolder: _h, leaseUntil: _u, ...record } = doc;
        out.push(record);
      }
      return out;
    });
  }

  finishDelivery(id: string, holder: string, outcome: DeliveryOutcome): Promise<void> {
    return this.engine(async () => {
      await this.c.deliveries.updateOne(
        { _id: id, leaseHolder: holder },
        { $set: { ...outcome, leaseHolder: null, leaseUntil: null } },
      );
    });
  }

  listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    return this.engine(async () => {
      const docs = await this.c.deliveries.find({ webhookId }).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
      return docs.map(({ _id: _i, leaseHolder: _h, leaseUntil: _u, ...record }) => record);
    });
  }

  async commit(ops: WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    await this.engine(async () => {
      if (!this.transactions) {
        for (const op of ops) await applyOp(this.c, op, undefined);
        return;
      }
      const session = this.client.startSession();
      try {
        await session.withTransaction(async () => {
          for (const op of ops) await applyOp(this.c, op, session);
        });
      } finally {
        await session.endSession();
      }
    });
  }
}
