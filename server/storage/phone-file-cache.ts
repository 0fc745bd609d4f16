// What a phone fetch reads (its device and the render of the file it asks
// for), remembered between fetches by the SQLite store. Whether anything
// changed since is asked of the store: a generation in the database that
// every commit bumps in the same transaction (so another worker's or another
// instance's commit moves it), and a count of this connection's own commits.
// Either moving empties the cache, so a read never returns what a commit
// replaced.
//
// This connection's own commits are checked on every read. Other connections'
// are checked once per event-loop turn: every request handled in a turn had
// arrived before the turn's first check (the poll that woke the turn found
// it), so answering it as of that check is answering it as of a moment
// between its arrival and its answer. A commit acknowledged before a
// request was sent is therefore always seen.
//
// Bounded by count and size, oldest entry out first; entries are frozen because every reader
// shares them.
import type { DeviceRecord } from '../domain/device.ts';
import { createWeighedMap } from '../domain/weighed-map.ts';
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

export interface ChangeMarks {
  /** Moves when any connection commits (read from the database). */
  others(): number;
  /** Moves when this connection commits (counted in memory). */
  own(): number;
}

/** A device record's share of an entry, besides its render's sealed text. */
const DEVICE_WEIGHT = 1024;
const weight = (f: PhoneFile) => DEVICE_WEIGHT + (f.render?.sealedBody.length ?? 0);

export function createPhoneFileCache(marks: ChangeMarks, maxEntries = 20_000, maxChars = 64 * 1024 * 1024): PhoneFileCache {
  const entries = createWeighedMap<PhoneFile>(maxEntries, maxChars, (_key, f) => weight(f));
  let others = -1;
  let own = -1;
  let checkedThisTurn = false;
  const newTurn = () => void (checkedThisTurn = false);
  return {
    get(mac, file, load) {
      if (!checkedThisTurn) {
        checkedThisTurn = true;
        setImmediate(newTurn);
        const now = marks.others();
        if (now !== others) {
          entries.clear();
          others = now;
        }
      }
      const mine = marks.own();
      if (mine !== own) {
        entries.clear();
        own = mine;
      }
      const key = `${mac}/${file}`;
      const hit = entries.get(key);
      if (hit) return hit;
      const found = load();
      // Unknown MACs are not remembered: a scan must not push real phones out.
      if (!found) return null;
      entries.set(key, deepFreeze(found));
      return found;
    },
  };
}
