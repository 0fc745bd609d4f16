// The event-loop delay a worker reports is what work waited beyond the
// sampling interval: a loop blocked for 150 ms reads as at least 130 ms late,
// an idle one as less than the interval it is sampled at.
import test from 'ava';
import { LOOP_DELAY_MESSAGE, watchLoopDelay } from '../../server/cluster/loop-delay.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('blocked and idle loops read as late as they were', async (t) => {
  const reports: { maxMs: number; meanMs: number; samples: number }[] = [];
  const stop = watchLoopDelay({ info: (fields: never, msg: string) => msg === LOOP_DELAY_MESSAGE && reports.push(fields) } as never);
  t.teardown(stop);
  await sleep(300);
  process.emit('SIGUSR2');
  // A reset forgets the last tick: the interval after it is measured from the next one.
  await sleep(30);
  const until = performance.now() + 150;
  while (performance.now() < until);
  await sleep(50);
  process.emit('SIGUSR2');
  t.is(reports.length, 2);
  const [idle, blocked] = reports;
  t.true(idle!.samples > 5);
  t.true(idle!.meanMs < 10, `idle mean ${idle!.meanMs} ms`);
  t.true(blocked!.maxMs >= 130, `blocked max ${blocked!.maxMs} ms`);
});
