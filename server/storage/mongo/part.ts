// What the MongoDB entity modules share: the shape of a part (async handlers
// that get the batch's session, or none on a standalone server), how an
// unreachable server and a taken unique key become the Store's errors, the
// reads of documents as records, and the text search the list filters use.
import {
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  type ClientSession,
  type FindCursor,
} from 'mongodb';
import { StoreUnavailable } from '../../domain/errors.ts';
import type { Entities, StorePart } from '../parts.ts';
import { DuplicateKey } from '../store.ts';
import { isDuplicate, strip } from './collections.ts';

/** The options every write of a batch passes: its transaction's session, if any. */
export type InBatch = { session: ClientSession | undefined };

export type MongoPart<E extends keyof Entities> = StorePart<E, [s: InBatch], Promise<void>>;

/** An engine that cannot be reached is the store being unavailable, not a bug. */
export function unavailable(err: unknown): StoreUnavailable | null {
  const down =
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNetworkError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError;
  return down ? new StoreUnavailable() : null;
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

/** A case-insensitive "contains" that treats every character of the text literally. */
export const contains = (text: string) => ({ $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' });
