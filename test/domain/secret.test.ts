// Secret rules (API.md): 8–64 printable ASCII characters, no leading or
// trailing space; refusals carry invalid-secret and never echo the secret.
import test from 'ava';
import fc from 'fast-check';
import { AppError } from '../../server/domain/errors.ts';
import { assertValidSecret, generateSecret, secretProblem } from '../../server/domain/secret.ts';

const char = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));
const printable = char(0x20, 0x7e);
const visible = char(0x21, 0x7e);
const printableString = (minLength: number, maxLength: number) => fc.string({ unit: printable, minLength, maxLength });

/** Any secret the rules accept: the ends are never a space, the middle is anything printable. */
const validSecret = fc
  .tuple(visible, printableString(6, 62), visible)
  .map(([a, middle, z]) => a + middle + z);

/** Replaces the character at a random position of a valid secret. */
const withCharAt = (bad: fc.Arbitrary<string>) =>
  fc.tuple(validSecret, fc.nat(), bad).map(([s, at, c]) => {
    const i = at % s.length;
    return s.slice(0, i) + c + s.slice(i + 1);
  });

const control = fc.oneof(char(0x00, 0x1f), fc.constant('\x7f'));
const nonAscii = fc.oneof(
  char(0x80, 0xffff), // includes lone surrogates
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c.codePointAt(0)! > 0x7f),
);
const invalid = {
  'too few characters': printableString(0, 7),
  'too many characters': printableString(65, 300),
  'a control character': withCharAt(control),
  'a non-ASCII character': withCharAt(nonAscii),
  'a leading space': validSecret.filter((s) => s.length < 64).map((s) => ` ${s}`),
  'a trailing space': validSecret.filter((s) => s.length < 64).map((s) => `${s} `),
  'spaces at both ends': printableString(6, 62).map((s) => ` ${s} `),
};

function refusal(secret: string): AppError {
  try {
    assertValidSecret(secret);
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(secret)}`);
}

test('every 8–64 character printable ASCII secret without edge spaces is accepted', (t) => {
  fc.assert(
    fc.property(validSecret, (s) => secretProblem(s) === null && assertValidSecret(s) === s),
    { numRuns: 1000 },
  );
  for (const s of ['12345678', 'x'.repeat(64), 'a b  c d', `~!@#$%^&*()_+{}|:"<>?\`-=[]\\;',./`]) {
    t.is(assertValidSecret(s), s);
  }
});

for (const [what, arbitrary] of Object.entries(invalid)) {
  test(`a secret with ${what} is refused with 422 invalid-secret`, (t) => {
    fc.assert(
      fc.property(arbitrary, (s) => {
        if (secretProblem(s) === null) return false;
        const err = refusal(s);
        return err.status === 422 && err.code === 'invalid-secret';
      }),
      { numRuns: 500 },
    );
    t.pass();
  });
}

test('refusal messages never contain the secret', (t) => {
  const longInvalid = fc.oneof(...Object.values(invalid)).filter((s) => s.length >= 8);
  fc.assert(
    fc.property(longInvalid, (s) => !refusal(s).message.includes(s) && !secretProblem(s)!.includes(s)),
    { numRuns: 1000 },
  );
  // A short secret could be a word of the message by chance, so instead the
  // message must not depend on what the short secret says.
  const shortMessage = refusal('a').message;
  fc.assert(fc.property(printableString(0, 7), (s) => refusal(s).message === shortMessage));
  t.false(refusal('hunter2!\n').message.includes('hunter2'));
});

test('generated secrets are at least 20 letters and digits, valid, and never repeat', (t) => {
  const many = Array.from({ length: 2000 }, () => generateSecret());
  for (const s of many) {
    t.regex(s, /^[A-Za-z0-9]{20,}$/);
    t.is(secretProblem(s), null);
  }
  t.is(new Set(many).size, many.length);
  // Every letter and digit turns up, so the whole alphabet is in use.
  t.is(new Set(many.join('')).size, 62);
});
