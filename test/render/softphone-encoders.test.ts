// The softphone encoders on their own. MicroSIP's iniValue leaves a value
// alone unless the Windows profile-API reader would lose something of it
// (edge whitespace, a pair of outer quotes), and then wraps it in exactly one
// more pair of double quotes; it refuses what a line cannot carry. encodeBody
// turns rendered text into the served bytes: CRLF for MicroSIP, pure ASCII
// when it can be, UTF-16LE with a BOM when it cannot, and says which in the
// Content-Type. Zoiper's text helper is XML element text.
import test from 'ava';
import fc from 'fast-check';
import { encodeBody } from '../../server/render/body-encoding.ts';
import { EncodeError } from '../../server/render/encoders/encoder.ts';
import { FORMATS } from '../../server/render/encoders/index.ts';
import { iniValue, microsipHelpers } from '../../server/render/encoders/microsip-ini.ts';
import { zoiperHelpers } from '../../server/render/encoders/zoiper-xml.ts';
import { iniGet, readMicrosipIni, unquoteIniValue } from '../helpers/microsip-ini-reader.ts';
import { xmllint } from '../helpers/xml.ts';
import { NASTY_ASCII, NASTY_UNICODE, anyText } from './arbitraries.ts';
import { catalog, xmllintZoiperField, zoiperAccount } from './fixtures.ts';

const cat = catalog();
const microsip = cat.profiles.get('microsip')!;
const zoiper = cat.profiles.get('zoiper')!;
const LINE_BREAKERS = ['\r', '\n', '\0'];
const QUOTES_AND_BLANKS = ['"', "'", ' ', '\t', '\u00a0', '\u3000', '""', "''", '"\'', ...NASTY_ASCII];

/** Text biased to start and end with quotes and blanks, the cases the wrapping is for. */
const edgyText = fc
  .tuple(fc.constantFrom(...QUOTES_AND_BLANKS, ''), anyText, fc.constantFrom(...QUOTES_AND_BLANKS, ''))
  .map(([a, s, b]) => a + s + b);

const carriable = (s: string) => !LINE_BREAKERS.some((c) => s.includes(c)) && s.length <= 255;

/** A one-value MicroSIP file, encoded as served, read back by the profile-API reader. */
function throughFile(value: string): string | undefined {
  const { bytes } = encodeBody(microsip, `[Account1]\npassword=${iniValue(value)}\n`);
  return iniGet(readMicrosipIni(bytes), 'Account1', 'password');
}

test('the microsip and zoiper formats have one helper each, found by the profiles', (t) => {
  t.is(FORMATS['microsip-ini'], microsipHelpers);
  t.is(FORMATS['zoiper-xml'], zoiperHelpers);
  t.deepEqual(Object.keys(microsipHelpers), ['ini']);
  t.deepEqual(Object.keys(zoiperHelpers), ['text']);
  t.is(microsip.format, 'microsip-ini');
  t.is(zoiper.format, 'zoiper-xml');
});

test('iniValue: wraps in one pair of double quotes exactly where the reader would lose edge blanks or outer quotes', (t) => {
  const cases: [string, string][] = [
    [' a', '" a"'], ['a ', '"a "'], ['\ta', '"\ta"'], ['\u00a0a', '"\u00a0a"'], [' ', '" "'],
    ['"a"', '""a""'], ["'a'", `"'a'"`], ['""', '""""'], ["''", `"''"`], ['" a "', '"" a ""'],
    ['"', '"'], ["'", "'"], ['"a', '"a'], ['a"', 'a"'], [`"a'`, `"a'`], ['a "b" c', 'a "b" c'], ['', ''],
    ['x=y#z;w&v', 'x=y#z;w&v'], ['[Account2]', '[Account2]'], ['Zoë', 'Zoë'], ['{{ini x}}', '{{ini x}}'],
  ];
  for (const [value, written] of cases) {
    t.is(iniValue(value), written, JSON.stringify(value));
    t.is(unquoteIniValue(`  ${written}  `), value, `${JSON.stringify(value)} reads back`);
  }
  t.is(iniValue(5081), '5081');
  t.is(iniValue(0), '0');
  t.is(iniValue(true), 'true');
});

test('iniValue: any carriable value is unchanged unless the reader would change it, and then wrapped once', (t) => {
  fc.assert(
    fc.property(fc.oneof(anyText, edgyText), (s) => {
      fc.pre(carriable(s));
      const out = iniValue(s);
      const readerWouldChange = unquoteIniValue(s) !== s;
      if (readerWouldChange ? out !== `"${s}"` : out !== s) {
        throw new Error(`${JSON.stringify(s)} was written as ${JSON.stringify(out)}`);
      }
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('iniValue: every carriable value reads back exactly from a served MicroSIP file', (t) => {
  fc.assert(
    fc.property(fc.oneof(anyText, edgyText), (s) => {
      fc.pre(carriable(s));
      const got = throughFile(s);
      if (got !== s) throw new Error(`${JSON.stringify(s)} read back as ${JSON.stringify(got)}`);
    }),
    { numRuns: 2000 },
  );
  t.is(throughFile(`"${'x'.repeat(253)}"`), `"${'x'.repeat(253)}"`, '255 characters with outer quotes of their own');
});

test('iniValue: CR, LF or NUL anywhere is refused with an EncodeError', (t) => {
  for (const c of LINE_BREAKERS) {
    for (const s of [c, `a${c}`, `${c}a`, `pass${c}[Account2]`, `"a${c}"`]) {
      const err = t.throws(() => iniValue(s), { instanceOf: EncodeError }, JSON.stringify(s));
      t.regex(err?.message ?? '', /^microsip-ini: .*CR, LF or NUL/);
    }
  }
  fc.assert(
    fc.property(anyText, fc.nat(), fc.constantFrom(...LINE_BREAKERS), (s, at, c) => {
      const i = at % (s.length + 1);
      try {
        iniValue(s.slice(0, i) + c + s.slice(i));
        return false;
      } catch (err) {
        return err instanceof EncodeError;
      }
    }),
    { numRuns: 1000 },
  );
});

test('iniValue: more than 255 characters is refused, 255 is fine', (t) => {
  t.is(iniValue('x'.repeat(255)), 'x'.repeat(255));
  t.is(iniValue('é'.repeat(255)), 'é'.repeat(255));
  for (const s of ['x'.repeat(256), `"${'x'.repeat(254)}"`, ' '.repeat(300)]) {
    const err = t.throws(() => iniValue(s), { instanceOf: EncodeError });
    t.regex(err?.message ?? '', /^microsip-ini: .*255 characters/);
  }
});

test('encodeBody: MicroSIP text becomes CRLF, never doubled', (t) => {
  const { bytes } = encodeBody(microsip, 'a=1\nb=2\r\nc=3\n\n');
  t.is(bytes.toString('latin1'), 'a=1\r\nb=2\r\nc=3\r\n\r\n');
  t.is(encodeBody(zoiper, 'a\nb\n').bytes.toString('utf8'), 'a\nb\n', 'an LF profile keeps LF');
});

test('encodeBody: ASCII stays one byte per character with no BOM, anything else is FF FE + UTF-16LE', (t) => {
  const ascii = encodeBody(microsip, '[A]\nk=~\x7f\n');
  t.deepEqual([...ascii.bytes], [...Buffer.from('[A]\r\nk=~\x7f\r\n', 'latin1')]);
  t.is(ascii.contentType, 'text/plain; charset=us-ascii');
  for (const odd of ['\x80', 'é', 'Zoë', '中文', '😀', '\u00a0', '\ufeff']) {
    const wide = encodeBody(microsip, `[A]\nk=${odd}\n`);
    t.deepEqual([...wide.bytes.subarray(0, 2)], [0xff, 0xfe], JSON.stringify(odd));
    t.is(wide.bytes.subarray(2).toString('utf16le'), `[A]\r\nk=${odd}\r\n`);
    t.is(wide.contentType, 'text/plain; charset=utf-16le');
  }
  t.deepEqual([...encodeBody(microsip, 'é').bytes], [0xff, 0xfe, 0xe9, 0x00]);
});

test('encodeBody: a UTF-8 profile gives UTF-8 with no BOM, whatever the text', (t) => {
  const { bytes, contentType } = encodeBody(zoiper, '<a>Zoë 😀</a>\n');
  t.true(bytes.equals(Buffer.from('<a>Zoë 😀</a>\n', 'utf8')));
  t.is(contentType, 'application/xml; charset=utf-8');
});

test('encodeBody: for any lines, MicroSIP bytes decode back to the CRLF text, single-byte exactly when ASCII', (t) => {
  const line = anyText.filter((s) => !/[\r\n]/.test(s));
  fc.assert(
    fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
      const text = lines.map((l) => `${l}\n`).join('');
      const { bytes, contentType } = encodeBody(microsip, text);
      const want = text.replace(/\n/g, '\r\n');
      const isAscii = /^[\x00-\x7f]*$/.test(text);
      const decoded = isAscii ? bytes.toString('latin1') : bytes.subarray(2).toString('utf16le');
      if (decoded !== want) throw new Error('bytes do not decode back to the text');
      if (isAscii !== (bytes.length === want.length && bytes.every((b) => b < 0x80))) throw new Error('ASCII is not single-byte');
      if (!isAscii && (bytes[0] !== 0xff || bytes[1] !== 0xfe)) throw new Error('no BOM');
      if (contentType !== `text/plain; charset=${isAscii ? 'us-ascii' : 'utf-16le'}`) throw new Error(contentType);
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

const inAccount = (text: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<options><accounts><account><v>${text}</v></account></accounts></options>\n`);

test('zoiper text: escaped every time, and element text reads back exactly through both parsers', (t) => {
  t.is(zoiperHelpers.text!(`&<>"'`), '&amp;&lt;&gt;&quot;&apos;');
  t.is(zoiperHelpers.text!('&amp;&#38;'), '&amp;amp;&amp;#38;');
  for (const bad of ['\0', '\t', '\n', '\x7f', '\x85', '\ufffe', '\ud800']) {
    t.throws(() => zoiperHelpers.text!(`a${bad}b`), { instanceOf: EncodeError }, JSON.stringify(bad));
  }
  const samples = [...NASTY_ASCII, ...NASTY_UNICODE.filter((s) => !/[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]/.test(s))];
  const doc = inAccount(samples.map((s) => zoiperHelpers.text!(s)).join('|'));
  t.true(xmllint(doc.toString('utf8')).ok);
  t.is(zoiperAccount(doc).get('v'), samples.join('|'));
  t.is(xmllintZoiperField(doc, 'v'), samples.join('|'));
  fc.assert(
    fc.property(anyText, (s) => {
      let out: string;
      try {
        out = zoiperHelpers.text!(s);
      } catch (err) {
        if (err instanceof EncodeError) return;
        throw err;
      }
      const got = zoiperAccount(inAccount(out)).get('v');
      if (got !== s) throw new Error(`${JSON.stringify(s)} read back as ${JSON.stringify(got)}`);
    }),
    { numRuns: 1000 },
  );
});
