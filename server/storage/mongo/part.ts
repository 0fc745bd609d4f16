// What the MongoDB entity modules share: the shape of a part (async handlers
// that get the batch's session, or none on a standalone server), how an
// unreachable server and a taken unique key become the Store's errors, the
// reads of documents as records, and the text search the list filters use.
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerClosedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type ClientSession,
  type Collection,
  type Filter,
  type FindCursor,
  type WithoutId,
} from 'mongodb';
import { StoreUnavailable } from '../../domain/errors.ts';
import type { Entities, StorePart } from '../parts.ts';
import { DuplicateKey } from '../store.ts';
import { isDuplicate, strip } from './collections.ts';

/**
 * The options every write of a batch passes: its transaction's session, if
 * any, and without one the work to do once the batch is over, applied or
 * undone (a guard's move, exclusive.ts hold()).
 */
export type InBatch = { session: ClientSession | undefined; atEnd?: (() => Promise<void>)[] };

export type MongoPart<E extends keyof Entities> = StorePart<E, [s: InBatch], Promise<void>>;

/** Socket failures the driver can let through as Node's own errors (a write to a socket the server closed: EPIPE). */
const SOCKET_DOWN = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** An engine that cannot be reached is the store being unavailable, not a bug. */
export function unavailable(err: unknown): StoreUnavailable | null {
  const down =
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError ||
    err instanceof MongoServerClosedError ||
    SOCKET_DOWN.has(String((err as NodeJS.ErrnoException | null)?.code));
  // The cause names the server that did not answer (its host and port, never the URI's credentials).
  return down ? Object.assign(new StoreUnavailable(), { cause: err }) : null;
}

/** Runs a read or write, turning an unreachable server into StoreUnavailable. */
export async function engine<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw unavailable(err) ?? err;
  }
}

/** The one document a read finds, as its record, or null. */
export const one = <D extends { _id: unknown }>(find: () => Promise<D | null>) => engine(async () => strip(await find()));

/** Every document a cursor yields, as records. */
export const all = <D extends { _id: unknown }>(find: () => FindCursor<D>) => engine(async () => (await find().toArray()).map((d) => strip(d)!));

/** An insert whose unique key (_id or an index) is taken becomes the store's DuplicateKey. */
export async function unique(insert: () => Promise<unknown>, entity: DuplicateKey['entity'], key: string): Promise<void> {
  try {
    await insert();
  } catch (err) {
    if (isDuplicate(err)) throw new DuplicateKey(entity, key);
    throw err;
  }
}

/**
 * Replaces the document with this _id, or inserts it. Two writers upserting
 * one new _id at once can both try the insert; MongoDB retries the loser by
 * itself, FerretDB answers it with a duplicate key: the document exists now,
 * so the loser replaces it.
 */
export async function put<D extends { _id: string }>(coll: Collection<D>, doc: D, s: InBatch): Promise<void> {
  const byId = { _id: doc._id } as Filter<D>;
  try {
    await coll.replaceOne(byId, doc as WithoutId<D>, { ...s, upsert: true });
  } catch (err) {
    if (!isDuplicate(err)) throw err;
    await coll.replaceOne(byId, doc as WithoutId<D>, s);
  }
}

/** A case-insensitive "contains" that treats every character of the text literally. */
export const contains = (text: string) => ({ $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' });
