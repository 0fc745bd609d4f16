// The phone-file cache on its own: a hit while nothing changed, emptied when
// either change mark moves, unknown MACs never remembered, and bounded by the
// size of what it holds as well as by count, oldest out first.
import test from 'ava';
import type { DeviceRecord } from '../../server/domain/device.ts';
import { createPhoneFileCache, type PhoneFile } from '../../server/storage/phone-file-cache.ts';

const file = (mac: string, bodyChars: number): PhoneFile => ({
  device: { mac } as DeviceRecord,
  render: { owner: mac, file: `${mac}.cfg`, version: 1, renderedAt: '2026-01-01T00:00:00Z', sealedBody: 'x'.repeat(bodyChars) },
});

function counting() {
  const loads = new Map<string, number>();
  const load = (mac: string, bodyChars = 100) => () => {
    loads.set(mac, (loads.get(mac) ?? 0) + 1);
    return file(mac, bodyChars);
  };
  return { loads, load };
}

test('a second read is a hit until a change mark moves; either mark empties the cache', async (t) => {
  const marks = { others: 1, own: 1 };
  const cache = createPhoneFileCache({ others: () => marks.others, own: () => marks.own });
  const { loads, load } = counting();
  cache.get('a', 'a.cfg', load('a'));
  cache.get('a', 'a.cfg', load('a'));
  t.is(loads.get('a'), 1);
  marks.own++;
  cache.get('a', 'a.cfg', load('a'));
  t.is(loads.get('a'), 2, 'this connection committed');
  // Another connection's commits are read once per turn.
  await new Promise((r) => setImmediate(r));
  marks.others++;
  cache.get('a', 'a.cfg', load('a'));
  t.is(loads.get('a'), 3, 'another connection committed');
});

test('an unknown MAC is not remembered', (t) => {
  const cache = createPhoneFileCache({ others: () => 0, own: () => 0 });
  let loads = 0;
  for (let i = 0; i < 3; i++) t.is(cache.get('b', 'b.cfg', () => (loads++, null)), null);
  t.is(loads, 3);
});

test('what it holds stays under its size bound: the oldest entries go first', (t) => {
  // Each entry weighs its 10,000-character body plus the device's share (1 KiB).
  const cache = createPhoneFileCache({ others: () => 0, own: () => 0 }, 1000, 50_000);
  const { loads, load } = counting();
  for (let i = 0; i < 10; i++) cache.get(`m${i}`, 'f', load(`m${i}`, 10_000));
  // Four fit in 50,000 characters: m6..m9 are held, m0..m5 were let go.
  for (const i of [9, 8, 7, 6]) cache.get(`m${i}`, 'f', load(`m${i}`, 10_000));
  t.deepEqual([6, 7, 8, 9].map((i) => loads.get(`m${i}`)), [1, 1, 1, 1], 'the newest four are hits');
  cache.get('m0', 'f', load('m0', 10_000));
  t.is(loads.get('m0'), 2, 'the oldest was evicted and loads again');
});

test('and under its count bound', (t) => {
  const cache = createPhoneFileCache({ others: () => 0, own: () => 0 }, 3);
  const { loads, load } = counting();
  for (const mac of ['a', 'b', 'c', 'd']) cache.get(mac, 'f', load(mac));
  cache.get('a', 'f', load('a'));
  cache.get('d', 'f', load('d'));
  t.is(loads.get('a'), 2);
  t.is(loads.get('d'), 1);
});
