// The notifier's queue under virtual time: thousands of devices queued at
// once leave at the configured rate, never more in flight than allowed, one
// run per device however often it was re-queued; a device that times out is
// retried after each backoff step and then given up.
import test from 'ava';
import fc from 'fast-check';
import { CATCH_UP_MS, createQueue } from '../../server/notify/queue.ts';
import { virtualTimers } from './virtual-timers.ts';

interface Trace {
  starts: { id: string; at: number }[];
  maxInFlight: number;
  gaveUp: string[];
}

function harness(o: { rate: number; concurrency: number; jitterMs: number; backoffMs?: number[]; seed: number; busyMs: number; lateMs?: number; outcome?: (id: string, attempt: number) => 'done' | 'retry' }) {
  const timers = virtualTimers({ lateMs: o.lateMs ?? 0 });
  const trace: Trace = { starts: [], maxInFlight: 0, gaveUp: [] };
  let inFlight = 0;
  let x = o.seed || 1;
  const random = () => ((x = (x * 48271) % 2147483647) / 2147483647);
  const queue = createQueue<string>({
    rate: o.rate,
    concurrency: o.concurrency,
    jitterMs: o.jitterMs,
    backoffMs: o.backoffMs ?? [],
    timers,
    random,
    run: async (id, attempt) => {
      trace.starts.push({ id, at: timers.now() });
      inFlight++;
      trace.maxInFlight = Math.max(trace.maxInFlight, inFlight);
      // Each NOTIFY waits a while for its answer.
      await new Promise<void>((resolve) => timers.setTimeout(resolve, 1 + Math.floor(random() * o.busyMs)));
      inFlight--;
      return o.outcome?.(id, attempt) ?? 'done';
    },
    onGiveUp: (id) => void trace.gaveUp.push(id),
  });
  return { timers, queue, trace };
}

/** The most starts in any window of one second. */
function peakPerSecond(starts: { at: number }[]): number {
  const at = starts.map((s) => s.at).sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

test('2,000 devices changed at once: within the rate and the concurrency, one NOTIFY per device', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        rate: fc.integer({ min: 1, max: 200 }),
        concurrency: fc.integer({ min: 1, max: 50 }),
        jitterMs: fc.integer({ min: 0, max: 5000 }),
        busyMs: fc.integer({ min: 1, max: 3000 }),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        // Devices queued again before their turn (a second change, an explicit sync).
        again: fc.array(fc.integer({ min: 0, max: 1999 }), { maxLength: 500 }),
      }),
      async (p) => {
        const { timers, queue, trace } = harness(p);
        const ids = Array.from({ length: 2000 }, (_, i) => `dev${i}`);
        for (const id of ids) queue.add(id, id);
        for (const i of p.again) queue.add(ids[i]!, ids[i]!);
        await timers.runAll();
        const runs = new Map<string, number>();
        for (const s of trace.starts) runs.set(s.id, (runs.get(s.id) ?? 0) + 1);
        t.is(runs.size, 2000, 'every device notified');
        t.true([...runs.values()].every((n) => n === 1), 'no device notified twice');
        t.true(peakPerSecond(trace.starts) <= p.rate, `peak ${peakPerSecond(trace.starts)}/s above ${p.rate}/s`);
        t.true(trace.maxInFlight <= p.concurrency, `in flight ${trace.maxInFlight} > ${p.concurrency}`);
        t.is(queue.pending() + queue.inFlight(), 0);
      },
    ),
    { numRuns: 15 },
  );
});

test('on a busy machine whose timers fire late, the rate holds on average, and any second sees at most a fifth more', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        rate: fc.integer({ min: 1, max: 200 }),
        lateMs: fc.integer({ min: 1, max: CATCH_UP_MS }),
        jitterMs: fc.integer({ min: 0, max: 5000 }),
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
      }),
      async (p) => {
        // Phones that answer at once, and room for all in flight: only the pacing limits.
        const { timers, queue, trace } = harness({ ...p, concurrency: 10_000, busyMs: 1 });
        const devices = 20 * p.rate;
        for (let i = 0; i < devices; i++) queue.add(`dev${i}`, `dev${i}`);
        await timers.runAll();
        t.is(trace.starts.length, devices);
        const first = Math.min(...trace.starts.map((s) => s.at));
        const last = Math.max(...trace.starts.map((s) => s.at));
        // Twenty seconds' worth, after the jitter has spread the first: on time within the lateness of one timer.
        const spacing = Math.ceil(1000 / p.rate);
        t.true(last - first <= Math.max(p.jitterMs, (devices - 1) * spacing) + CATCH_UP_MS + spacing, `${devices} starts took ${last - first} ms at ${p.rate}/s, late ${p.lateMs} ms`);
        const peak = peakPerSecond(trace.starts);
        t.true(peak <= Math.floor(p.rate * (1 + CATCH_UP_MS / 1000)) + 1, `peak ${peak}/s at ${p.rate}/s`);
      },
    ),
    { numRuns: 15 },
  );
});

test('a device re-queued while its NOTIFY is in flight runs again afterwards, never alongside', async (t) => {
  const { timers, queue, trace } = harness({ rate: 100, concurrency: 10, jitterMs: 0, seed: 7, busyMs: 1 });
  queue.add('a', 'a');
  await timers.advance(0);
  t.is(queue.inFlight(), 1);
  queue.add('a', 'a');
  queue.add('a', 'a');
  await timers.runAll();
  t.deepEqual(trace.starts.map((s) => s.id), ['a', 'a'], 'the first run, then one run for the two later changes');
  t.true(trace.maxInFlight <= 1);
});

test('timeouts are retried after each backoff step, then given up', async (t) => {
  const { timers, queue, trace } = harness({
    rate: 20, concurrency: 5, jitterMs: 0, seed: 3, busyMs: 1, backoffMs: [30_000, 120_000, 600_000], outcome: () => 'retry',
  });
  queue.add('a', 'a');
  await timers.runAll();
  t.is(trace.starts.length, 4, 'the first try and three retries');
  const gaps = trace.starts.slice(1).map((s, i) => s.at - trace.starts[i]!.at);
  gaps.forEach((gap, i) => t.true(gap >= [30_000, 120_000, 600_000][i]!, `retry ${i + 1} after ${gap} ms`));
  t.deepEqual(trace.gaveUp, ['a']);
});

test('jitter spreads a batch out but keeps every device within the jitter window plus its turn', async (t) => {
  const { timers, queue, trace } = harness({ rate: 1000, concurrency: 100, jitterMs: 2000, seed: 11, busyMs: 1 });
  for (let i = 0; i < 50; i++) queue.add(`d${i}`, `d${i}`);
  await timers.runAll();
  const at = trace.starts.map((s) => s.at);
  t.true(Math.max(...at) > 500, 'not all at once');
  t.true(Math.max(...at) <= 2000 + 50, 'none later than the jitter window and its turn');
});
