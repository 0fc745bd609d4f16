// The render sweep job on its own, with a fake lease and a fake sweep: which
// minutes it acts on, the lease it asks for, that a tick never throws, and
// that stopping waits for a sweep in progress. PROV_SWEEP_MINUTES is read here
// too. The job against a real store is in test/provisioning/repair.test.ts.
import test from 'ava';
import cron from 'node-cron';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../server/config.ts';
import { SWEEP_LEASE, createSweepJob, isSweepMinute, type SweepJobDeps } from '../../server/jobs/sweep-job.ts';

const NOW = new Date('2024-05-01T10:00:30.000Z');

function job(over: Partial<SweepJobDeps> & { grant?: boolean } = {}) {
  const logs: string[] = [];
  const leases: [string, string, string, string][] = [];
  let sweeps = 0;
  const sweeper = createSweepJob({
    store: {
      acquireLease: async (...args) => {
        leases.push(args);
        return over.grant ?? true;
      },
    },
    holder: 'me',
    minutes: 10,
    clock: () => NOW,
    log: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    sweep: async () => void sweeps++,
    ...over,
  });
  return { sweeper, logs, leases, sweeps: () => sweeps };
}

test('sweep minutes count from the epoch, so every instance ticks together', (t) => {
  t.true(isSweepMinute(new Date('2024-05-01T10:00:00Z'), 10));
  t.true(isSweepMinute(new Date('2024-05-01T10:50:59Z'), 10));
  t.false(isSweepMinute(new Date('2024-05-01T10:05:00Z'), 10));
  t.false(isSweepMinute(new Date('2024-05-01T10:00:00Z'), 0), '0 never sweeps');
  // An interval that does not divide the hour keeps its spacing across hours.
  const hits = Array.from({ length: 120 }, (_, m) => new Date(Date.UTC(2024, 4, 1, 10, m)))
    .filter((d) => isSweepMinute(d, 45))
    .map((d) => d.getTime());
  t.true(hits.length >= 2);
  for (let i = 1; i < hits.length; i++) t.is(hits[i]! - hits[i - 1]!, 45 * 60_000);
});

test('a sweep takes the lease for the interval and a minute more, then runs', async (t) => {
  const j = job();
  t.is(await j.sweeper.runOnce(), 'swept');
  t.deepEqual(j.leases, [[SWEEP_LEASE, 'me', NOW.toISOString(), '2024-05-01T10:11:30.000Z']]);
  t.is(j.sweeps(), 1);
});

test('without the lease nothing runs', async (t) => {
  const j = job({ grant: false });
  t.is(await j.sweeper.runOnce(), 'not-leader');
  t.is(j.sweeps(), 0);
});

test('a failing sweep or an unreachable store is logged, never thrown', async (t) => {
  const failing = job({
    sweep: async () => {
      throw new Error('disk on fire');
    },
  });
  t.is(await failing.sweeper.runOnce(), 'failed');
  t.true(failing.logs.some((l) => l.includes('render sweep failed') && l.includes('disk on fire')));

  const down = job({
    store: {
      acquireLease: async () => {
        throw new Error('store unreachable');
      },
    },
  });
  t.is(await down.sweeper.runOnce(), 'failed');
  t.true(down.logs.some((l) => l.includes('store unreachable')));
});

test('a sweep still running is not started twice, and stop() waits for it', async (t) => {
  let finish!: () => void;
  let done = false;
  const j = job({
    sweep: () =>
      new Promise<void>((resolve) => {
        finish = () => {
          done = true;
          resolve();
        };
      }),
  });
  const first = j.sweeper.runOnce();
  await new Promise((resolve) => setImmediate(resolve));
  t.is(await j.sweeper.runOnce(), 'busy');
  const stopped = j.sweeper.stop();
  setTimeout(() => finish(), 20);
  await stopped;
  t.true(done, 'stop() returned only after the sweep finished');
  t.is(await first, 'swept');
});

test('start() schedules a cron task unless PROV_SWEEP_MINUTES is 0; stop() removes it', async (t) => {
  const named = () => [...cron.getTasks().values()].filter((task) => task.name === SWEEP_LEASE).length;
  const off = job({ minutes: 0 });
  off.sweeper.start();
  t.is(named(), 0);
  t.true(off.logs.some((l) => l.includes('render sweep off')));
  t.is(await off.sweeper.runOnce(), 'swept', 'a sweep on request still works');

  const on = job();
  on.sweeper.start();
  t.is(named(), 1);
  await on.sweeper.stop();
  t.is(named(), 0);
});

test('PROV_SWEEP_MINUTES defaults to 10, takes 0 to 1440 and refuses anything else', (t) => {
  t.is(loadConfig({}).sweepMinutes, 10);
  t.is(loadConfig({ PROV_SWEEP_MINUTES: '0' }).sweepMinutes, 0);
  t.is(loadConfig({ PROV_SWEEP_MINUTES: '1440' }).sweepMinutes, 1440);
  for (const bad of ['1441', '-1', 'ten', '2.5']) {
    t.throws(() => loadConfig({ PROV_SWEEP_MINUTES: bad }), { instanceOf: ConfigError, message: /^PROV_SWEEP_MINUTES / }, bad);
  }
});
