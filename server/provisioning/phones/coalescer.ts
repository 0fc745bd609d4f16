// A queue of writes that can wait a little: the latest value per key wins,
// and all of them are written together at most `flushMs` after the first,
// off the request path. Fetch records and learnt firmware use it; `write`
// handles its own failures, so one lost batch never blocks the next.
export interface Coalescer<T> {
  add(key: string, value: T): void;
  /** Writes everything queued so far; resolves when that is written (or was given up). */
  flush(): Promise<void>;
  /** Queued values not yet written. */
  pending(): number;
}

export function createCoalescer<T>(write: (batch: [string, T][]) => Promise<void>, flushMs: number): Coalescer<T> {
  const queued = new Map<string, T>();
  let timer: NodeJS.Timeout | null = null;
  // Batches are written one after another, in the order they were cut.
  let chain: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    if (queued.size === 0) return chain;
    const batch = [...queued];
    queued.clear();
    chain = chain.then(() => write(batch));
    return chain;
  }

  return {
    add(key, value) {
      queued.delete(key);
      queued.set(key, value);
      if (!timer) {
        timer = setTimeout(() => void flush(), flushMs);
        // Shutdown flushes explicitly; a pending value must not hold the process up.
        timer.unref();
      }
    },
    flush,
    pending: () => queued.size,
  };
}
