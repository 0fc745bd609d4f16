// Virtual time for the notifier's queue and transactions: timers fire only
// when the test advances the clock, so minutes of backoff take no wall time.
import type { Timers } from '../../server/notify/timers.ts';

export interface VirtualTimers extends Timers {
  /** Fires every timer due up to `ms` from now, in order, letting promises settle between them. */
  advance(ms: number): Promise<void>;
  /** Runs timers until none are left (or `limit` virtual ms pass). */
  runAll(limit?: number): Promise<void>;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** `lateMs`: every timer fires that long after its time, as on a machine whose CPU is taken by other work. */
export function virtualTimers({ lateMs = 0 }: { lateMs?: number } = {}): VirtualTimers {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const nextDue = () => {
    let best: [number, { at: number; fn: () => void }] | null = null;
    for (const e of pending) if (!best || e[1].at < best[1].at || (e[1].at === best[1].at && e[0] < best[0])) best = e;
    return best;
  };
  /** Fires every timer due by `end`, in order, letting what each one starts settle before the next. */
  const runUntil = async (end: number) => {
    await settle();
    for (let due = nextDue(); due && due[1].at <= end; due = nextDue()) {
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
      await settle();
    }
  };
  const self: VirtualTimers = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      pending.set(id, { at: now + Math.max(0, ms) + lateMs, fn });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
    async advance(ms) {
      const end = now + ms;
      await runUntil(end);
      now = end;
    },
    async runAll(limit = 24 * 3600_000) {
      await runUntil(now + limit);
    },
  };
  return self;
}
