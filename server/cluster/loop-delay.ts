// How long phone requests could have waited behind other work: the event
// loop's delay, sampled all the time (perf_hooks, cheap), logged and reset on
// SIGUSR2 — the benchmark reads it from each worker around a full reload.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

export const LOOP_DELAY_MESSAGE = 'event-loop delay';

export function watchLoopDelay(log: Logger): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const report = () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    log.info(
      { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean), samples: histogram.count },
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
