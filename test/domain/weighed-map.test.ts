// The weighed map: past its count or its weight, the oldest entries go first;
// replacing an entry counts only its new weight.
import test from 'ava';
import fc from 'fast-check';
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

test('under any run of sets, replacements and clears it holds exactly what a plain list, oldest first, would', (t) => {
  const op = fc.oneof(
    { weight: 8, arbitrary: fc.record({ k: fc.integer({ min: 0, max: 40 }), w: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 1, arbitrary: fc.constant('clear' as const) },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 6, max: 30 }), fc.array(op, { maxLength: 400 }), (maxEntries, maxWeight, ops) => {
      const m = createWeighedMap<number>(maxEntries, maxWeight, (_k, w) => w);
      let model: [string, number][] = [];
      for (const o of ops) {
        if (o === 'clear') {
          m.clear();
          model = [];
          continue;
        }
        const key = `k${o.k}`;
        m.set(key, o.w);
        model = [...model.filter(([k]) => k !== key), [key, o.w]];
        const total = () => model.reduce((a, [, w]) => a + w, 0);
        while (model.length > maxEntries || total() > maxWeight) model.shift();
        if (m.size !== model.length) return false;
        for (let k = 0; k <= 40; k++) {
          const want = model.find(([mk]) => mk === `k${k}`)?.[1];
          if (m.get(`k${k}`) !== want) return false;
        }
      }
      return true;
    }),
    { numRuns: 300 },
  );
  t.pass();
});
