// Several rows may speak of one extension (one row per device line) or one
// device (one row per line it has): their cells must agree. A value given on
// one row holds for all; a different value on a later row is an error of
// that row, naming the row it disagrees with.
import { isDeepStrictEqual } from 'node:util';
import type { RowError } from './import-rows.ts';

export function mergeRows<R extends { row: number }, K extends string>(
  rows: R[],
  fields: readonly K[],
  read: (r: R, field: K) => unknown,
  errors: RowError[],
  what: string,
): Partial<Record<K, unknown>> {
  const merged: Partial<Record<K, unknown>> = {};
  const from: Partial<Record<K, number>> = {};
  for (const r of rows) {
    for (const field of fields) {
      const value = read(r, field);
      if (value === undefined) continue;
      if (merged[field] === undefined) {
        merged[field] = value;
        from[field] = r.row;
      } else if (!isDeepStrictEqual(merged[field], value)) {
        errors.push({ row: r.row, column: field, code: 'conflicting-value', message: `${field} of ${what} differs from row ${from[field]}` });
      }
    }
  }
  return merged;
}

/** Rows grouped by a key, in the order each key first appears. */
export function groupBy<R, K>(rows: R[], key: (r: R) => K | undefined): Map<K, R[]> {
  const groups = new Map<K, R[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === undefined) continue;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}
