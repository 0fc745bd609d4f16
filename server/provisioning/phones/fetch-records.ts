// Fetch records, coalesced. Recording "device X fetched version N" is status
// for the admin, not configuration: writing it synchronously on every phone
// fetch made the store the phone path's bottleneck. Records are queued (the
// latest per device wins) and written as one batch at most `flushMs` after
// the first of them, off the request path. A crash loses at most that long of
// last-fetched data, never a config or a secret. Reads that show fetch state
// (devices, extensions) flush first, so the admin API reads its own phones'
// fetches; across workers the flush is a barrier through the primary.
import type { Logger } from 'pino';
import type { FetchRecord, Store } from '../../storage/store.ts';
import { createCoalescer, type Coalescer } from './coalescer.ts';

export const FETCH_FLUSH_MS = 1000;

export type FetchCoalescer = Coalescer<FetchRecord>;

const SIGHTING = 'seen:';

export function createFetchCoalescer(store: Pick<Store, 'recordFetches'>, log: Logger, flushMs = FETCH_FLUSH_MS): FetchCoalescer {
  const queue = createCoalescer<FetchRecord>(
    (batch) =>
      store.recordFetches(batch.map(([key, fetch]) => ({ mac: key.startsWith(SIGHTING) ? key.slice(SIGHTING.length) : key, fetch }))).catch((err: unknown) => {
        // Status only: a lost batch is corrected by each phone's next fetch.
        log.error({ err, records: batch.length }, 'fetch records could not be written');
      }),
    flushMs,
  );
  // A device's sighting and its proven fetch are kept apart by the store, so
  // neither may replace the other in the queue.
  return { ...queue, add: (mac, fetch) => queue.add(fetch.credential === null ? SIGHTING + mac : mac, fetch) };
}

/**
 * The store as the use cases see it: recordFetch() queues instead of
 * writing, and reads that return fetch state wait for `barrier` (every
 * queued record of this instance written) first. Everything else passes
 * through untouched, so methods added to the Store later need nothing here.
 */
export function withCoalescedFetches(store: Store, sink: (mac: string, fetch: FetchRecord) => void, barrier?: () => Promise<void>): Store {
  const overrides: Partial<Store> = {
    recordFetch: async (mac, fetch) => sink(mac, fetch),
  };
  if (barrier) {
    overrides.getDevice = async (mac) => {
      await barrier();
      return store.getDevice(mac);
    };
    overrides.listDevices = async (query) => {
      await barrier();
      return store.listDevices(query);
    };
  }
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof Store];
      let fn = bound.get(key);
      if (fn === undefined) {
        const value = Reflect.get(target, key);
        if (typeof value !== 'function') return value;
        fn = value.bind(target);
        bound.set(key, fn);
      }
      return fn;
    },
  });
}
