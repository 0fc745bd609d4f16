// What a phone fetch reads (its device and the render of the file it asks
// for), remembered between fetches by the SQLite store. Whether anything
// changed since is asked of SQLite itself on every read: `PRAGMA
// data_version` moves when another connection (another worker, another
// instance on the same file) commits, and `total_changes()` when this one
// writes. Either moving empties the cache, so a read never returns what a
// commit replaced, and the check costs a few microseconds against the join it
// saves. Bounded, oldest entry out first; entries are frozen because every
// reader shares them.
import type { DeviceRecord } from '../domain/device.ts';
import type { RenderRecord } from './store.ts';

export type PhoneFile = { device: DeviceRecord; render: RenderRecord | null };

export interface PhoneFileCache {
  /** The cached answer while the store is unchanged; otherwise `load()`'s, remembered when found. */
  get(mac: string, file: string, load: () => PhoneFile | null): PhoneFile | null;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function createPhoneFileCache(changeMarks: () => [number, number], maxEntries = 20_000): PhoneFileCache {
  const entries = new Map<string, PhoneFile>();
  let seen: [number, number] = [-1, -1];
  return {
    get(mac, file, load) {
      const marks = changeMarks();
      if (marks[0] !== seen[0] || marks[1] !== seen[1]) {
        entries.clear();
        seen = marks;
      }
      const key = `${mac}/${file}`;
      const hit = entries.get(key);
      if (hit) return hit;
      const found = load();
      // Unknown MACs are not remembered: a scan must not push real phones out.
      if (!found) return null;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, deepFreeze(found));
      return found;
    },
  };
}
