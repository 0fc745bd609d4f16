// How long phone requests could have waited behind other work: the event
// loop's delay, sampled all the time (perf_hooks, cheap), logged with the
// process's memory and reset on SIGUSR2 — the benchmark reads it from each
// worker around a full reload.
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
  const mib = (bytes: number) => Math.round(bytes / 1048576);
  const report = () => {
    // Where this process's memory is, for reading next to its delay: a heap
    // far above what is in use is garbage not yet collected, not a leak.
    const m = process.memoryUsage();
    const memory = { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external) };
    log.info(
      { maxMs: late(histogram.max), p99Ms: late(histogram.percentile(99)), meanMs: late(histogram.mean), samples: histogram.count, memory },
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
