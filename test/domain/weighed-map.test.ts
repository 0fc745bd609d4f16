// The weighed map: past its count or its weight, the oldest entries go first;
// replacing an entry counts only its new weight.
import test from 'ava';
import { createWeighedMap } from '../../server/domain/weighed-map.ts';

test('the oldest entries go once the total weight passes its bound', (t) => {
  const m = createWeighedMap<string>(100, 10, (_k, v) => v.length);
  m.set('a', 'xxxx');
  m.set('b', 'xxxx');
  m.set('c', 'xxxx');
  t.is(m.get('a'), undefined);
  t.deepEqual([m.get('b'), m.get('c')], ['xxxx', 'xxxx']);
  // Replacing b with a lighter value makes room: nothing else has to go.
  m.set('b', 'x');
  m.set('d', 'xxxx');
  t.deepEqual([m.get('b'), m.get('c'), m.get('d')], ['x', 'xxxx', 'xxxx']);
  t.is(m.size, 3);
});

test('and once the count passes its bound; clear empties it and its weight', (t) => {
  const m = createWeighedMap<number>(2, 1e9, () => 1);
  m.set('a', 1);
  m.set('b', 2);
  m.set('c', 3);
  t.is(m.get('a'), undefined);
  t.is(m.size, 2);
  m.clear();
  t.is(m.size, 0);
  const light = createWeighedMap<string>(10, 4, (_k, v) => v.length);
  light.set('a', 'xxxx');
  light.clear();
  light.set('b', 'xxxx');
  t.is(light.get('b'), 'xxxx', 'the weight of what was cleared no longer counts');
});
