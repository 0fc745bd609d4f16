// The Store on MongoDB, for several server instances sharing one replica set.
// A batch commits in one transaction where the deployment has them (replica
// set or sharded cluster). On a standalone server the ops apply in order and
// a refused batch is undone (mongo/journal.ts); a crash part-way leaves entity
// writes without their renders, which the start-up reconcile and the periodic
// sweep re-render (docs/deployment.md).
// Every check that SQLite does inside its transaction is done here too:
// expected revisions, unique keys, and device lines against extensions.
// This file connects and assembles the entity parts in mongo/.
import { MongoClient, type Db } from 'mongodb';
import { collections, prepare, type Collections } from './mongo/collections.ts';
import { mongoAccounts } from './mongo/accounts.ts';
import { mongoAudit } from './mongo/audit.ts';
import { mongoDevices } from './mongo/devices.ts';
import { mongoExtensions } from './mongo/extensions.ts';
import { mongoLinks } from './mongo/links.ts';
import { mongoMeta } from './mongo/meta.ts';
import { journaled } from './mongo/journal.ts';
import { engine, unavailable, type InBatch } from './mongo/part.ts';
import { mongoRegistrations } from './mongo/registrations.ts';
import { mongoRenders } from './mongo/renders.ts';
import { mongoSites } from './mongo/sites.ts';
import { mongoWebhooks } from './mongo/webhooks.ts';
import { combineParts, dispatch, type StoreReads, type WriteHandlers } from './parts.ts';
import type { Store, WriteOp } from './store.ts';

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
    const c = collections(db);
    await prepare(db, c);
    return assemble(client, db, c, transactions);
  } catch (err) {
    await client.close();
    throw unavailable(err) ?? err;
  }
}

/** The entity parts over these collections: every read, and one write handler per op kind. */
function parts(c: Collections) {
  return combineParts(
    mongoMeta(c),
    mongoExtensions(c),
    mongoDevices(c),
    mongoRenders(c),
    mongoLinks(c),
    mongoAccounts(c),
    mongoAudit(c),
    mongoWebhooks(c),
    mongoRegistrations(c),
    mongoSites(c),
  );
}

function assemble(client: MongoClient, db: Db, c: Collections, transactions: boolean): Store {
  const reads: StoreReads = parts(c).reads;
  /** Applies the ops in order, with every check SQLite makes inside its transaction. */
  const apply = async (writes: WriteHandlers<[s: InBatch], Promise<void>>, ops: WriteOp[], batch: InBatch) => {
    for (const op of ops) await dispatch(writes, op, batch);
  };
  const writes: WriteHandlers<[s: InBatch], Promise<void>> = parts(c).writes;
  /** Without transactions: a refused batch is undone from its journal (mongo/journal.ts). */
  const applyUndoable = async (ops: WriteOp[]) => {
    const journal = journaled(c);
    const atEnd: (() => Promise<void>)[] = [];
    try {
      await apply(parts(journal.collections).writes, ops, { session: undefined, atEnd });
    } catch (err) {
      // An undo that fails too (the server gone mid-batch) leaves what the reconcile repairs.
      await journal.undo().catch(() => {});
      throw err;
    } finally {
      // Each on its own: one that fails (the server gone) leaves a lock that goes stale.
      for (const end of atEnd) await end().catch(() => {});
    }
  };

  return {
    ...reads,
    async ping() {
      await engine(() => db.command({ ping: 1 }));
    },
    async close() {
      await client.close();
    },
    async commit(ops) {
      if (ops.length === 0) return;
      await engine(async () => {
        if (!transactions) return applyUndoable(ops);
        const session = client.startSession();
        try {
          await session.withTransaction(() => apply(writes, ops, { session }));
        } finally {
          await session.endSession();
        }
      });
    },
  };
}
