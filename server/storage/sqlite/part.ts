// What the SQLite entity modules share: the shape of a part (synchronous
// handlers, run inside the store's one batch transaction), the two ways a
// write outside commit() meets the engine's errors and the disk, and the
// WHERE builder of the filtered list reads.
import type Database from 'better-sqlite3';
import type { Entities, StorePart } from '../parts.ts';
import { engineTrouble } from './rows.ts';

/** Handlers get nothing besides the op: the store runs them all inside its transaction. */
export type SqlitePart<E extends keyof Entities> = StorePart<E, [], void>;

/** Runs a write, turning a locked, full or failing database into StoreUnavailable. */
export function guard<T>(write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw engineTrouble(err) ?? err;
  }
}

/** Runs a guarded write committed without fsync. */
export type Relaxed = <T>(write: () => T) => T;

/**
 * State a phone or a session reports (fetches, NOTIFY outcomes, last seen) is
 * not an acknowledged admin write, and a phone storm must not wait on the
 * disk for each one: committed without fsync, which WAL keeps crash-safe if
 * not power-safe. The next admin commit syncs it anyway.
 */
export function relaxedWrites(db: Database.Database): Relaxed {
  const fetchSync = db.prepare('PRAGMA synchronous = NORMAL');
  const adminSync = db.prepare('PRAGMA synchronous = FULL');
  return (write) =>
    guard(() => {
      fetchSync.run();
      try {
        return write();
      } finally {
        adminSync.run();
      }
    });
}

/** The WHERE clause of a list query built from its optional filters, with their arguments in order. */
export class Where {
  private readonly clauses: string[] = [];
  readonly args: (string | number)[] = [];

  add(clause: string, ...args: (string | number)[]): void {
    this.clauses.push(clause);
    this.args.push(...args);
  }

  toString(): string {
    return this.clauses.length ? 'WHERE ' + this.clauses.join(' AND ') : '';
  }
}
