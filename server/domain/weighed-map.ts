// A map bounded by its number of entries and by their total weight (bytes,
// characters): past either bound, the oldest entries go first. The caches of
// the phone path use it so that their memory does not grow with the fleet.
export interface WeighedMap<V> {
  get(key: string): V | undefined;
  /** Adds or replaces, then lets the oldest entries go until both bounds hold. */
  set(key: string, value: V): void;
  clear(): void;
  readonly size: number;
}

export function createWeighedMap<V>(maxEntries: number, maxWeight: number, weigh: (key: string, value: V) => number): WeighedMap<V> {
  const map = new Map<string, V>();
  let weight = 0;
  // One iterator kept from eviction to eviction. A Map leaves a deleted
  // entry's slot empty until it compacts, and a fresh iterator walks every
  // empty slot at the front: with most lookups missing, each eviction walked
  // thousands. Every entry this iterator has passed is deleted, so the next
  // one it gives is always the oldest.
  let cursor: IterableIterator<[string, V]> | null = null;
  function evictOldest(): void {
    cursor ??= map.entries();
    let next = cursor.next();
    if (next.done) {
      cursor = map.entries();
      next = cursor.next();
    }
    const [oldest, entry] = next.value!;
    map.delete(oldest);
    weight -= weigh(oldest, entry);
  }
  return {
    get: (key) => map.get(key),
    set(key, value) {
      const old = map.get(key);
      if (old !== undefined) {
        map.delete(key);
        weight -= weigh(key, old);
      }
      map.set(key, value);
      weight += weigh(key, value);
      while (map.size > maxEntries || weight > maxWeight) evictOldest();
    },
    clear() {
      map.clear();
      cursor = null;
      weight = 0;
    },
    get size() {
      return map.size;
    },
  };
}
