// The nonce book: every challenge gets its own nonce (also across the
// refills of its random pool), a nonce proves itself ours until it is too
// old, one changed byte makes it forged, a nonce-count is accepted once, and
// the issuer written into it reads back.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { createNonceBook, nonceIssuer } from '../../server/domain/digest.ts';

test('nonces are all different, also past several refills of the random pool, and each checks fresh', (t) => {
  const book = createNonceBook(randomBytes(32), () => new Date('2026-01-01T00:00:00Z'), 60, 100_000, 7);
  const seen = new Set<string>();
  // The same millisecond for all of them: only the random part tells them apart.
  for (let i = 0; i < 3000; i++) {
    const nonce = book.issue();
    t.false(seen.has(nonce), `nonce ${i} repeats an earlier one`);
    seen.add(nonce);
    t.is(book.check(nonce), 'fresh');
    t.is(nonceIssuer(nonce), 7);
  }
});

test('a nonce turns stale after its lifetime, and any changed byte makes it forged', (t) => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const key = randomBytes(32);
  const book = createNonceBook(key, () => new Date(now), 60);
  const nonce = book.issue();
  now += 60_000;
  t.is(book.check(nonce), 'fresh');
  now += 1;
  t.is(book.check(nonce), 'stale');
  const raw = Buffer.from(nonce, 'base64url');
  for (const at of [0, 9, 15, 16, 31]) {
    const bent = Buffer.from(raw);
    bent[at]! ^= 1;
    t.is(book.check(bent.toString('base64url')), 'forged', `byte ${at}`);
  }
  t.is(createNonceBook(randomBytes(32), () => new Date(now), 60).check(nonce), 'forged', 'another key did not issue it');
});

test('a nonce-count is accepted once, and only above the highest one seen', (t) => {
  const book = createNonceBook(randomBytes(32), () => new Date(), 60);
  const nonce = book.issue();
  t.true(book.accept(nonce, 1) as boolean);
  t.false(book.accept(nonce, 1) as boolean);
  t.true(book.accept(nonce, 3) as boolean);
  t.false(book.accept(nonce, 2) as boolean);
});
