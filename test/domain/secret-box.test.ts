// Secrets at rest: sealing round-trips, hides the plaintext, is randomised,
// and is bound to both the key and the record it was sealed for.
import { createHash, randomBytes } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { createSecretBox, SecretBoxError, sealIdentity } from '../../server/domain/secret-box.ts';

const box = createSecretBox(randomBytes(32));
const text = fc.string({ unit: 'binary', maxLength: 200 });
const context = fc.string({ unit: 'binary', maxLength: 40 });
const printableSecret = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 8, maxLength: 64 });

function opens(sealed: string, ctx: string, b = box): boolean {
  try {
    b.open(sealed, ctx);
    return true;
  } catch (e) {
    if (!(e instanceof SecretBoxError)) throw e;
    return false;
  }
}

test('open(seal(x)) gives back any string', (t) => {
  fc.assert(fc.property(text, context, (plain, ctx) => box.open(box.seal(plain, ctx), ctx) === plain), { numRuns: 500 });
  t.is(box.open(box.seal('', 'extension:1'), 'extension:1'), '');
  t.is(box.open(box.seal('pä$$ wörd 🔑', 'extension:1'), 'extension:1'), 'pä$$ wörd 🔑');
});

test('a sealed value never shows the plaintext, raw or encoded', (t) => {
  const plain = fc.oneof(printableSecret, fc.string({ unit: 'binary', minLength: 8, maxLength: 100 }));
  fc.assert(
    fc.property(plain, context, (p, ctx) => {
      const sealed = box.seal(p, ctx);
      const bytes = Buffer.from(p, 'utf8');
      return ![p, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')].some((f) =>
        sealed.includes(f),
      );
    }),
    { numRuns: 500 },
  );
  t.false(box.seal('correct horse battery', 'extension:1001').includes('correct horse'));
});

test('sealing the same value twice gives different ciphertexts that both open', (t) => {
  fc.assert(
    fc.property(text, context, (p, ctx) => {
      const [a, b] = [box.seal(p, ctx), box.seal(p, ctx)];
      return a !== b && box.open(a, ctx) === p && box.open(b, ctx) === p;
    }),
  );
  const many = new Set(Array.from({ length: 500 }, () => box.seal('same secret', 'extension:1001')));
  t.is(many.size, 500);
});

test('another key cannot open a sealed value', (t) => {
  const other = createSecretBox(randomBytes(32));
  fc.assert(fc.property(text, context, (p, ctx) => !opens(box.seal(p, ctx), ctx, other)));
  const err = t.throws(() => other.open(box.seal('s3cret-value', 'extension:1001'), 'extension:1001'), {
    instanceOf: SecretBoxError,
  });
  t.false(err.message.includes('s3cret-value'));
});

test('another context cannot open a sealed value', (t) => {
  fc.assert(
    fc.property(text, context, context, (p, ctx, otherCtx) => {
      fc.pre(ctx !== otherCtx);
      return !opens(box.seal(p, ctx), otherCtx);
    }),
  );
  const sealed = box.seal('s3cret-value', 'extension:1001');
  t.throws(() => box.open(sealed, 'extension:1002'), { instanceOf: SecretBoxError });
  t.is(box.open(sealed, 'extension:1001'), 's3cret-value');
});

test('a tampered or malformed sealed value does not open', (t) => {
  fc.assert(
    fc.property(printableSecret, fc.nat(), (p, at) => {
      const sealed = box.seal(p, 'ctx');
      const i = at % sealed.length;
      const flipped = sealed.slice(0, i) + (sealed[i] === 'A' ? 'B' : 'A') + sealed.slice(i + 1);
      // Flipping a base64 padding bit can leave the bytes intact; anything else must fail.
      return !opens(flipped, 'ctx') || box.open(flipped, 'ctx') === p;
    }),
  );
  for (const bad of ['', 'v1', 'v1::', 'v2:a:b:c', 'plaintext', box.seal('x', 'ctx').replace(/^v1/, 'v0')]) {
    t.false(opens(bad, 'ctx'), JSON.stringify(bad));
  }
});

test('keys other than 32 bytes are refused', (t) => {
  for (const n of [0, 16, 31, 33, 64]) t.throws(() => createSecretBox(randomBytes(n)), { instanceOf: SecretBoxError });
});

test('a sealed value is told apart by its identity: every seal of the same text has its own, and the body is not part of it', (t) => {
  const seals = Array.from({ length: 200 }, () => box.seal('the same text', 'ctx'));
  const ids = new Set(seals.map(sealIdentity));
  t.is(ids.size, seals.length);
  for (const s of seals) {
    t.true(s.startsWith(sealIdentity(s) + ':'));
    t.true(sealIdentity(s).length < s.length - 'the same text'.length);
  }
});

test('a fingerprint is the same for the same text in the same context, and differs for any other text, context or key', (t) => {
  const other = createSecretBox(randomBytes(32));
  fc.assert(
    fc.property(text, text, context, context, (a, b, ca, cb) => {
      const fp = box.fingerprint(a, ca);
      if (fp !== box.fingerprint(a, ca)) return false;
      if (other.fingerprint(a, ca) === fp) return false;
      return (a === b && ca === cb) || box.fingerprint(b, cb) !== fp;
    }),
    { numRuns: 500 },
  );
  // A context and text that run into each other are still told apart.
  t.not(box.fingerprint('bc', 'a'), box.fingerprint('c', 'ab'));
});

test('a fingerprint is no plain hash of the text: without the key, a guessed secret cannot be checked against it', (t) => {
  fc.assert(
    fc.property(printableSecret, context, (p, ctx) => {
      const fp = box.fingerprint(p, ctx);
      const plain = ['sha256', 'sha1', 'md5'].flatMap((alg) =>
        ['hex', 'base64', 'base64url'].flatMap((enc) => [p, ctx + p, `${ctx.length}:${ctx}${p}`].map((x) => createHash(alg).update(x).digest(enc as 'hex'))),
      );
      return !plain.includes(fp) && !fp.includes(p);
    }),
    { numRuns: 200 },
  );
  t.pass();
});
