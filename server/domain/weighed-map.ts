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
      while (map.size > maxEntries || weight > maxWeight) {
        const [oldest, entry] = map.entries().next().value!;
        map.delete(oldest);
        weight -= weigh(oldest, entry);
      }
    },
    clear() {
      map.clear();
      weight = 0;
    },
    get size() {
      return map.size;
    },
  };
}
