// How events cross between processes: a large commit goes as several
// committed events of bounded size, in order, without sealed bodies; a
// worker says when it has listeners, so it is sent events only then.
import test from 'ava';
import { relayedBus, slices, slim } from '../../server/cluster/event-relay.ts';
import type { Link, Post } from '../../server/cluster/link.ts';
import { createEventBus, type ProvEvent } from '../../server/provisioning/change/events.ts';
import type { WriteOp } from '../../server/storage/store.ts';

const put = (i: number): WriteOp => ({
  op: 'put-render',
  render: { owner: `805ec0${String(i).padStart(6, '0')}`, file: 'f.cfg', version: i, renderedAt: '2024-05-01T10:00:00.000Z', sealedBody: `sealed-${i}` },
});

test('a large commit is relayed as slices of at most the given size, in order, adding up to the whole', (t) => {
  const ops = Array.from({ length: 1234 }, (_, i) => put(i));
  const out = slices(slim({ type: 'committed', ops }), 500);
  t.deepEqual(out.map((e) => (e.type === 'committed' ? e.ops.length : 0)), [500, 500, 234]);
  const relayed = out.flatMap((e) => (e.type === 'committed' ? e.ops : []));
  t.deepEqual(relayed.map((o) => (o.op === 'put-render' ? o.render.version : -1)), ops.map((_, i) => i));
  t.true(relayed.every((o) => o.op === 'put-render' && o.render.sealedBody === ''), 'no sealed body crosses');
});

test('small commits and other events go as they are', (t) => {
  const small: ProvEvent = { type: 'committed', ops: [put(1)] };
  t.deepEqual(slices(small, 500), [small]);
  const fetched: ProvEvent = { type: 'fetched', mac: '805ec0000001', version: 2, at: '2024-05-01T10:00:00.000Z' };
  t.deepEqual(slices(fetched, 500), [fetched]);
});

test("a worker's bus tells the primary when it starts and stops having listeners, once each way", (t) => {
  const posts: Post[] = [];
  const link = { post: (p: Post) => void posts.push(p), onPost: () => undefined } as unknown as Link;
  const bus = relayedBus(createEventBus(() => undefined), link);
  const said = () => posts.filter((p) => p.k === 'listening-for-events').map((p) => (p as { on: boolean }).on);
  const first = bus.subscribe(() => undefined);
  const second = bus.subscribe(() => undefined);
  t.deepEqual(said(), [true]);
  first();
  first();
  t.deepEqual(said(), [true], 'one listener is left; unsubscribing twice counts once');
  second();
  t.deepEqual(said(), [true, false]);
  bus.subscribe(() => undefined);
  t.deepEqual(said(), [true, false, true]);
});
