// The render sweep: every PROV_SWEEP_MINUTES, one instance re-runs the
// reconcile, so a change interrupted between its write and its re-render is
// completed even when no instance restarts. Instances coordinate through the
// store lease `render-sweep`: the one that holds it sweeps, and it holds it a
// little longer than the interval, so it renews at its next tick while every
// other instance is refused; if it dies, the lease lapses and another takes
// over at the sweep after (one sweep is missed).
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import type { Store } from '../storage/store.ts';

export const SWEEP_LEASE = 'render-sweep';
const MINUTE = 60_000;
/** How far past the interval the lease reaches: the holder's next tick renews it before anyone else may take it. */
const LEASE_MARGIN = MINUTE;

export type SweepOutcome = 'swept' | 'not-leader' | 'busy' | 'failed';

export interface SweepJobDeps {
  store: Pick<Store, 'acquireLease'>;
  /** This instance's id in the lease. */
  holder: string;
  /** 0: never scheduled (runOnce still works). */
  minutes: number;
  clock: () => Date;
  log: Logger;
  /** The work itself (the reconcile). */
  sweep: () => Promise<unknown>;
}

/**
 * Whether a tick at `date` is a sweep minute. Counting from the epoch, not
 * from each instance's start, makes every instance tick on the same minutes,
 * so they compete for the lease together, and allows intervals that do not
 * divide an hour (cron's own step syntax would restart at each hour).
 */
export function isSweepMinute(date: Date, minutes: number): boolean {
  return minutes > 0 && Math.floor(date.getTime() / MINUTE) % minutes === 0;
}

export function createSweepJob({ store, holder, minutes, clock, log, sweep }: SweepJobDeps) {
  let task: ScheduledTask | null = null;
  let running: Promise<SweepOutcome> | null = null;

  async function attempt(): Promise<SweepOutcome> {
    try {
      const now = clock();
      const until = new Date(now.getTime() + minutes * MINUTE + LEASE_MARGIN);
      if (!(await store.acquireLease(SWEEP_LEASE, holder, now.toISOString(), until.toISOString()))) {
        log.debug({ lease: SWEEP_LEASE }, 'render sweep left to the instance holding the lease');
        return 'not-leader';
      }
      await sweep();
      return 'swept';
    } catch (err) {
      // A tick must never throw: the store may be down for a while, and the next tick tries again.
      log.error({ err }, 'render sweep failed; the next tick tries again');
      return 'failed';
    }
  }

  /** One sweep now, if this instance gets the lease; never throws. */
  function runOnce(): Promise<SweepOutcome> {
    // A sweep that outlives the minute must not start a second copy of itself.
    if (running) return Promise.resolve('busy');
    running = attempt().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    start(): void {
      if (minutes === 0) {
        log.info('render sweep off (PROV_SWEEP_MINUTES=0)');
        return;
      }
      // unref: the listeners keep the process alive; this timer must not keep
      // it up when the boot fails after the job started (e.g. a port in use).
      const options = { name: SWEEP_LEASE, logger: cronLogger(log), unref: true };
      task = cron.createTask('* * * * *', async (ctx) => {
        if (isSweepMinute(ctx.date, minutes)) await runOnce();
      }, options);
      // Handling missed ticks here silences node-cron's warning for every
      // blocked minute; only a missed sweep is worth a line.
      task.on('execution:missed', (ctx) => {
        if (isSweepMinute(ctx.date, minutes)) log.warn({ at: ctx.date.toISOString() }, 'render sweep tick missed (event loop blocked)');
      });
      void task.start();
      log.info({ minutes, holder }, 'render sweep scheduled');
    },

    /** Stops scheduling and waits for a sweep in progress, so the store can be closed after. */
    async stop(): Promise<void> {
      const stopping = task;
      task = null;
      if (stopping) await stopping.destroy();
      if (running) await running;
    },

    runOnce,
  };
}

export type SweepJob = ReturnType<typeof createSweepJob>;

/** node-cron's own warnings (missed ticks) go to our log as JSON, not to the console. */
function cronLogger(log: Logger): CronLogger {
  const errorOf = (m: string | Error, err?: Error) => (m instanceof Error ? m : err);
  return {
    info: (message) => log.debug({ source: 'node-cron' }, message),
    warn: (message) => log.warn({ source: 'node-cron' }, message),
    error: (message, err) => log.error({ source: 'node-cron', err: errorOf(message, err) }, String(message)),
    debug: (message) => log.debug({ source: 'node-cron' }, String(message)),
  };
}
