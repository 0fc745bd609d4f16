// How a store adapter is assembled from per-entity parts, shared by the SQLite
// and the MongoDB adapter. Each part owns some of the Store's reads and some
// WriteOp kinds; combineParts() refuses (at compile time) two parts claiming the
// same read or op kind, and assigning the result to the full Store or handler
// map refuses one left unclaimed. So every op kind has exactly one handler,
// and adding a kind to WriteOp fails to compile until some part takes it.
import type { Store, WriteOp } from './store.ts';

export type OpKind = WriteOp['op'];
export type OpOf<K extends OpKind> = Extract<WriteOp, { op: K }>;

/** One handler per op kind; Ctx is what every handler of an adapter gets besides the op (a session, or nothing). */
export type WriteHandlers<Ctx extends unknown[], Out> = { [K in OpKind]: (op: OpOf<K>, ...ctx: Ctx) => Out };

/** The reads a store has besides its lifecycle and commit(), which the adapter's entry point keeps. */
export type StoreReads = Omit<Store, 'ping' | 'close' | 'commit'>;

/** Which reads and op kinds each entity part owns: the same split in both adapters. */
export interface Entities {
  meta: { reads: 'getMeta' | 'initMeta' | 'acquireLease'; ops: 'guard' };
  extensions: {
    reads: 'getExtension' | 'listExtensions' | 'findExtensionsByAuthUsername';
    ops: 'insert-extension' | 'update-extension' | 'expect-extension' | 'delete-extension';
  };
  devices: {
    reads: 'getDevice' | 'listDevices' | 'recordFetch' | 'recordNotify' | 'recordFetches';
    ops: 'insert-device' | 'update-device' | 'delete-device' | 'open-claim' | 'close-claim' | 'use-claim';
  };
  renders: {
    reads: 'getPhoneFile' | 'getRender' | 'listRenders' | 'getUpload' | 'listUploads';
    ops: 'put-render' | 'delete-render' | 'put-upload' | 'delete-upload';
  };
  links: { reads: 'findLinkByHash' | 'getLink' | 'listLinks'; ops: 'insert-link' | 'use-link' | 'revoke-link' };
  accounts: {
    reads: 'findTokenByHash' | 'getToken' | 'listTokens' | 'getUser' | 'listUsers' | 'findSession' | 'touchSession';
    ops:
      | 'insert-token'
      | 'delete-token'
      | 'insert-user'
      | 'update-user'
      | 'delete-user'
      | 'insert-session'
      | 'delete-session'
      | 'delete-user-sessions'
      | 'delete-expired-sessions';
  };
  audit: { reads: 'listAudit' | 'pruneAudit'; ops: 'audit' };
  sites: { reads: 'getSite' | 'listSites'; ops: 'insert-site' | 'update-site' | 'delete-site' };
  registrations: { reads: 'recordRegistration' | 'listRegistrations'; ops: never };
  webhooks: {
    reads: 'getWebhook' | 'listWebhooks' | 'enqueueDeliveries' | 'claimDeliveries' | 'finishDelivery' | 'listDeliveries';
    ops: 'insert-webhook' | 'delete-webhook';
  };
}

/** What the module of entity E hands to its adapter's entry point. */
export interface StorePart<E extends keyof Entities, Ctx extends unknown[], Out> {
  reads: Pick<StoreReads, Entities[E]['reads']>;
  writes: Pick<WriteHandlers<Ctx, Out>, Entities[E]['ops']>;
}

type AllKeys<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? keyof H | AllKeys<R> : never;
/** Keys that more than one of the objects has. */
type Shared<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? (keyof H & AllKeys<R>) | Shared<R> : never;
type Merged<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? H & Merged<R> : unknown;
/** The objects merged into one; a key in two of them makes the result unassignable, naming the key. */
type Combined<T extends readonly unknown[]> = [Shared<T>] extends [never] ? Merged<T> : { claimedTwice: Shared<T> };
type Field<T extends readonly unknown[], F extends string> = { [I in keyof T]: T[I] extends Record<F, infer V> ? V : never };

type AnyPart = { reads: object; writes: object };

/** The parts' reads and their handlers, each merged into one object. */
export function combineParts<T extends readonly AnyPart[]>(
  ...parts: T
): { reads: Combined<Field<T, 'reads'>>; writes: Combined<Field<T, 'writes'>> } {
  return {
    reads: Object.assign({}, ...parts.map((p) => p.reads)),
    writes: Object.assign({}, ...parts.map((p) => p.writes)),
  };
}

/** Hands an op to the handler of its kind. */
export function dispatch<Ctx extends unknown[], Out>(handlers: WriteHandlers<Ctx, Out>, op: WriteOp, ...ctx: Ctx): Out {
  return (handlers[op.op] as (op: WriteOp, ...ctx: Ctx) => Out)(op, ...ctx);
}
