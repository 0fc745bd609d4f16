// MAC parsing: every form the API promises reads as the same 12 lowercase hex
// digits, and anything else is refused with 422 invalid-mac.
import test from 'ava';
import fc from 'fast-check';
import { AppError } from '../../server/domain/errors.ts';
import { parseMac, tryParseMac } from '../../server/domain/mac.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sixBytes = fc.uint8Array({ minLength: 6, maxLength: 6 });
const pairs = (h: string) => h.match(/../g)!;

/** Every form listed in API.md, in both cases. */
function forms(h: string): string[] {
  const base = [pairs(h).join(':'), pairs(h).join('-'), h.match(/..../g)!.join('.'), h];
  return base.flatMap((f) => [f.toUpperCase(), f.toLowerCase()]);
}

/** An independent statement of the accepted forms. */
const H = '[0-9a-fA-F]';
const ACCEPTED = [`${H}{2}(?::${H}{2}){5}`, `${H}{2}(?:-${H}{2}){5}`, `${H}{4}(?:\\.${H}{4}){2}`, `${H}{12}`].map(
  (r) => new RegExp(`^${r}$`),
);
const isAccepted = (s: string) => ACCEPTED.some((r) => r.test(s));

function assertRejected(text: string): void {
  if (tryParseMac(text) !== null) throw new Error(`tryParseMac accepted ${JSON.stringify(text)}`);
  let thrown: unknown;
  try {
    parseMac(text);
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof AppError) || thrown.status !== 422 || thrown.code !== 'invalid-mac') {
    throw new Error(`parseMac(${JSON.stringify(text)}) did not throw 422 invalid-mac: ${String(thrown)}`);
  }
}

test('every documented form of any six bytes parses to the same 12 lowercase hex', (t) => {
  fc.assert(
    fc.property(sixBytes, (bytes) => {
      const want = hex(bytes);
      for (const form of forms(want)) {
        if (tryParseMac(form) !== want || parseMac(form) !== want) throw new Error(`${form} did not parse to ${want}`);
      }
    }),
  );
  t.is<string, string>(parseMac('80:5E:C0:12:34:56'), '805ec0123456');
  t.is<string, string>(parseMac('805E.C012.3456'), '805ec0123456');
});

test('mixed case within one MAC is still that MAC', (t) => {
  const upperMask = fc.array(fc.boolean(), { minLength: 17, maxLength: 17 });
  fc.assert(
    fc.property(sixBytes, upperMask, fc.constantFrom(':', '-'), (bytes, mask, sep) => {
      const text = [...pairs(hex(bytes)).join(sep)].map((c, i) => (mask[i] ? c.toUpperCase() : c)).join('');
      return tryParseMac(text) === hex(bytes);
    }),
  );
  t.pass();
});

test('strings over MAC-like characters parse exactly when they are in a documented form', (t) => {
  const alphabet = fc.constantFrom(...'0123456789abcdefABCDEFgG:-. \n'.split(''));
  const nearMac = fc.oneof(
    fc.string({ unit: alphabet, maxLength: 20 }),
    // Valid forms with one character replaced, inserted or dropped.
    fc.tuple(sixBytes, fc.nat(3), fc.nat(16), alphabet, fc.constantFrom('replace', 'insert', 'drop')).map(
      ([bytes, form, at, ch, how]) => {
        const s = forms(hex(bytes))[form * 2]!;
        const i = at % s.length;
        return s.slice(0, i) + (how === 'drop' ? '' : ch) + s.slice(how === 'insert' ? i : i + 1);
      },
    ),
  );
  fc.assert(
    fc.property(nearMac, (s) => {
      if (!isAccepted(s)) return assertRejected(s);
      if (tryParseMac(s) !== s.replace(/[^0-9a-f]/gi, '').toLowerCase()) throw new Error(`${s} misparsed`);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('arbitrary text that is not a documented form is refused with 422 invalid-mac', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !isAccepted(s)), assertRejected));
  for (const s of ['', ' 805ec0123456', '805ec0123456 ', '805ec0123456\n', '805ec012345g', '０８05ec0123456']) {
    assertRejected(s);
  }
  t.pass();
});

test('mixed separators are refused', (t) => {
  const seps = fc.array(fc.constantFrom(':', '-', '.', ' ', '_'), { minLength: 5, maxLength: 5 });
  fc.assert(
    fc.property(sixBytes, seps.filter((s) => new Set(s).size > 1), (bytes, s) => {
      assertRejected(pairs(hex(bytes)).reduce((acc, p, i) => acc + s[i - 1]! + p));
    }),
  );
  fc.assert(
    fc.property(sixBytes, fc.constantFrom(':', '-', ' ', '_'), (bytes, sep) => {
      assertRejected(hex(bytes).match(/..../g)!.join(sep)); // Cisco groups need dots
      assertRejected(pairs(hex(bytes)).join('.')); // dots need groups of four
    }),
  );
  for (const s of ['80:5e-c0:12:34:56', '80-5e-c0-12-34:56', '805e.c012-3456', '805e.c012:3456']) assertRejected(s);
  t.pass();
});

test('wrong lengths are refused in every form', (t) => {
  const hexDigits = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });
  const groups = fc.integer({ min: 1, max: 10 }).filter((n) => n !== 6);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 30 }).filter((n) => n !== 12).chain(hexDigits), assertRejected),
  );
  fc.assert(
    fc.property(groups.chain((n) => fc.array(hexDigits(2), { minLength: n, maxLength: n })), fc.constantFrom(':', '-'), (g, sep) =>
      assertRejected(g.join(sep)),
    ),
  );
  const oddGroup = fc.integer({ min: 0, max: 6 }).filter((n) => n !== 2).chain(hexDigits);
  fc.assert(
    fc.property(fc.array(hexDigits(2), { minLength: 6, maxLength: 6 }), fc.nat(5), oddGroup, fc.constantFrom(':', '-'), (g, i, odd, sep) => {
      g[i] = odd;
      assertRejected(g.join(sep));
    }),
  );
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 8 }).filter((n) => n !== 4).chain(hexDigits), { minLength: 3, maxLength: 3 }), (g) =>
      assertRejected(g.join('.')),
    ),
  );
  t.pass();
});
