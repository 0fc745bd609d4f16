// The clock and timers the notifier runs on, passed in so tests can drive time.

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that never keep the process alive on their own. */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** RFC 3261 timer values (§17.1.2, Table 4), configurable so tests need not wait 32 s. */
export interface SipTiming {
  t1: number;
  t2: number;
  /** Timer F: how long a non-INVITE transaction waits for a final response (64 × T1). */
  timerF: number;
}
