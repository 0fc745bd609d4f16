// How long phone requests could have waited behind other work: the event
// loop's delay, sampled all the time (perf_hooks, cheap), logged and reset on
// SIGUSR2 — the benchmark reads it from each worker around a full reload.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

export const LOOP_DELAY_MESSAGE = 'event-loop delay';

const RESOLUTION_MS = 10;

export function watchLoopDelay(log: Pick<Logger, 'info'>): () => void {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  // The histogram holds whole intervals between its timer's ticks, so an idle
  // loop reads as the resolution itself: what waited is the part beyond it.
  const late = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
  const report = () => {
    log.info(
      { maxMs: late(histogram.max), p99Ms: late(histogram.percentile(99)), meanMs: late(histogram.mean), samples: histogram.count },
      LOOP_DELAY_MESSAGE,
    );
    histogram.reset();
  };
  process.on('SIGUSR2', report);
  return () => {
    process.off('SIGUSR2', report);
    histogram.disable();
  };
}
