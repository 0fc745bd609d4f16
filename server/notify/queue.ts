// The notifier's queue, knowing nothing of SIP: at most one pending entry per
// device (a re-queued device replaces its entry), starts spaced by 1/rate so
// that even 10,000 devices never leave as a burst, at most `concurrency` in
// flight, a random delay of up to `jitterMs` on each entry, and retries after
// the backoff steps until they run out.
import type { Timers } from './timers.ts';

/**
 * How far behind its timeline the queue catches up at once. On a busy
 * machine a timer fires late; were each start spaced from the last actual
 * one, every late firing would be lost for good, and a high rate with small
 * spacing would lose most of itself. The starts a late timer held back go
 * out together instead, up to this much of them, so the rate holds on
 * average while any second sees at most a fifth more than the rate.
 */
export const CATCH_UP_MS = 200;

export interface QueueOptions<J> {
  /** Starts per second. */
  rate: number;
  concurrency: number;
  jitterMs: number;
  /** Wait before each retry; its length is how many retries there are. */
  backoffMs: readonly number[];
  timers: Timers;
  random: () => number;
  /** Runs one job; 'retry' asks for the next backoff step, 'defer' for the same attempt a little later. */
  run: (job: J, attempt: number) => Promise<'done' | 'retry' | 'defer'>;
  /** How long a deferred job waits. */
  deferMs?: number;
  /** A job whose retries ran out, or that failed unexpectedly. */
  onGiveUp: (job: J, attempts: number, err?: unknown) => void;
  /** The queue emptied: nothing pending, nothing in flight. */
  onIdle?: () => void;
}

interface Entry<J> {
  job: J;
  due: number;
  attempt: number;
}

export interface NotifyQueue<J> {
  /** Queues `job` for `id`, replacing any entry still waiting for it. */
  add(id: string, job: J): void;
  pending(): number;
  inFlight(): number;
  stop(): void;
}

export function createQueue<J>(o: QueueOptions<J>): NotifyQueue<J> {
  const waiting = new Map<string, Entry<J>>();
  const running = new Set<string>();
  // Whole milliseconds, rounded up: never more than `rate` starts in any second.
  const spacing = Math.ceil(1000 / o.rate);
  let lastStart = -Infinity;
  /** The last pump found every slot taken while work waited. */
  let full = false;
  let timer: unknown = null;
  let timerAt = Infinity;
  let stopped = false;

  /** The entry to start next: the earliest due whose device is not in flight. */
  function next(): [string, Entry<J>] | null {
    let best: [string, Entry<J>] | null = null;
    for (const item of waiting) {
      if (running.has(item[0])) continue;
      if (!best || item[1].due < best[1].due) best = item;
    }
    return best;
  }

  function schedule(at: number) {
    if (stopped) return;
    if (timer !== null && timerAt <= at) return;
    if (timer !== null) o.timers.clearTimeout(timer);
    timerAt = at;
    timer = o.timers.setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      pump();
    }, Math.max(0, at - o.timers.now()));
  }

  /**
   * Starts what is due. Each start is placed on a timeline spaced by 1/rate.
   * A timer that fired late leaves the queue behind its timeline; then the
   * starts it held back follow at once (catching up no more than
   * CATCH_UP_MS). Time spent waiting for a free slot is no debt: a start
   * that had to wait for one is placed when the slot freed.
   */
  function pump() {
    if (stopped) return;
    while (waiting.size > 0) {
      if (running.size >= o.concurrency) {
        full = true;
        break;
      }
      const item = next();
      if (!item) break;
      const now = o.timers.now();
      const at = Math.max(item[1].due, lastStart + spacing);
      if (at > now) return schedule(at);
      const [id, entry] = item;
      waiting.delete(id);
      running.add(id);
      lastStart = full ? now : Math.max(at, now - CATCH_UP_MS);
      full = false;
      void start(id, entry);
    }
    if (waiting.size === 0 && running.size === 0) o.onIdle?.();
  }

  async function start(id: string, entry: Entry<J>) {
    let outcome: 'done' | 'retry' | 'defer' | 'error' = 'error';
    let failure: unknown;
    try {
      outcome = await o.run(entry.job, entry.attempt);
    } catch (err) {
      failure = err;
    }
    running.delete(id);
    if (outcome === 'defer' && !waiting.has(id)) {
      waiting.set(id, { ...entry, due: o.timers.now() + (o.deferMs ?? 1000) });
    } else if (outcome === 'retry' && !waiting.has(id)) {
      const wait = o.backoffMs[entry.attempt - 1];
      if (wait === undefined) o.onGiveUp(entry.job, entry.attempt);
      else waiting.set(id, { job: entry.job, due: o.timers.now() + wait, attempt: entry.attempt + 1 });
    } else if (outcome === 'error') {
      o.onGiveUp(entry.job, entry.attempt, failure);
    }
    pump();
  }

  return {
    add(id, job) {
      if (stopped) return;
      // A newer change replaces the waiting one (and its retry count) in place.
      waiting.delete(id);
      waiting.set(id, { job, due: o.timers.now() + Math.floor(o.random() * o.jitterMs), attempt: 1 });
      if (running.size < o.concurrency) schedule(o.timers.now());
    },
    pending: () => waiting.size,
    inFlight: () => running.size,
    stop() {
      stopped = true;
      if (timer !== null) o.timers.clearTimeout(timer);
      waiting.clear();
    },
  };
}
