// The cache of opened bodies: a hit only for the very sealed value it opened,
// so a body changed anywhere (another worker, another instance) is a miss and
// can never be served stale; bounded; refusals are not cached.
import test from 'ava';
import { createSecretBox, SecretBoxError, type SecretBox } from '../../../server/domain/secret-box.ts';
import { createCachingBox } from '../../../server/provisioning/phones/opened-cache.ts';

const key = Buffer.alloc(32, 7);

function counting(box: SecretBox) {
  let opens = 0;
  return { box: { seal: box.seal, fingerprint: box.fingerprint, open: (s: string, c: string) => (opens++, box.open(s, c)) }, opens: () => opens };
}

test('a sealed value is opened once; a re-sealed body, even with the same text, is opened afresh', (t) => {
  const inner = counting(createSecretBox(key));
  const box = createCachingBox(inner.box);
  const first = box.seal('account.1.password = One', 'render:a:f');
  t.is(box.open(first, 'render:a:f'), 'account.1.password = One');
  t.is(box.open(first, 'render:a:f'), 'account.1.password = One');
  t.is(inner.opens(), 1);
  // What another process stores after a change: a new sealed value, whatever the version number says.
  const second = createSecretBox(key).seal('account.1.password = Two', 'render:a:f');
  t.is(box.open(second, 'render:a:f'), 'account.1.password = Two');
  t.is(inner.opens(), 2);
});

test('the wrong context is refused, cached or not, and a refusal is not remembered', (t) => {
  const box = createCachingBox(createSecretBox(key));
  const sealed = box.seal('secret', 'render:a:f');
  t.throws(() => box.open(sealed, 'render:b:f'), { instanceOf: SecretBoxError });
  t.is(box.open(sealed, 'render:a:f'), 'secret');
  t.throws(() => box.open(sealed, 'render:b:f'), { instanceOf: SecretBoxError }, 'a hit under another context still opens properly');
  t.is(box.size(), 1);
});

test('bounded by entries and by characters, oldest out first', (t) => {
  const byCount = createCachingBox(createSecretBox(key), 3);
  const sealed = [0, 1, 2, 3, 4].map((i) => byCount.seal(`body ${i}`, 'c'));
  for (const s of sealed) byCount.open(s, 'c');
  t.is(byCount.size(), 3);
  const bySize = createCachingBox(createSecretBox(key), 1000, 400);
  for (let i = 0; i < 10; i++) bySize.open(bySize.seal('x'.repeat(100), 'c'), 'c');
  t.true(bySize.size() <= 2);
});
