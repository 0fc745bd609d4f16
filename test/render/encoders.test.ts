// The format encoders on their own: Yealink cfg values pass through untouched
// unless they could end the line; XML values are escaped every time (entity-
// looking text included) and refuse what XML 1.0 cannot carry or a parser would
// fold into a space.
import test from 'ava';
import fc from 'fast-check';
import { EncodeError } from '../../server/render/encoders/encoder.ts';
import { FORMATS } from '../../server/render/encoders/index.ts';
import { polycomHelpers } from '../../server/render/encoders/polycom-xml.ts';
import { xmlValue } from '../../server/render/encoders/xml.ts';
import { cfgValue, yealinkHelpers } from '../../server/render/encoders/yealink-cfg.ts';
import { libxmlValue, polycomParams, xmllint, xmllintAttribute } from '../helpers/xml.ts';
import { anyText } from './arbitraries.ts';

const LINE_BREAKERS = ['\r', '\n', '\0'];

test('the profiles find each encoder set by format name, one helper each', (t) => {
  t.deepEqual(Object.keys(FORMATS).sort(), ['cisco-flat-profile', 'microsip-ini', 'polycom-xml', 'xml-text', 'yealink-cfg', 'zoiper-xml']);
  t.deepEqual(Object.keys(FORMATS['xml-text']!), ['text']);
  t.deepEqual(Object.keys(FORMATS['cisco-flat-profile']!), ['text', 'macro']);
  t.is(FORMATS['yealink-cfg'], yealinkHelpers);
  t.is(FORMATS['polycom-xml'], polycomHelpers);
  t.deepEqual(Object.keys(yealinkHelpers), ['cfg']);
  t.deepEqual(Object.keys(polycomHelpers), ['attr', 'attrLines']);
});

test('yealink cfg: any value without CR, LF or NUL comes out unchanged', (t) => {
  fc.assert(
    fc.property(anyText, (s) => {
      fc.pre(!LINE_BREAKERS.some((c) => s.includes(c)));
      return cfgValue(s) === s && yealinkHelpers.cfg!(s) === s;
    }),
    { numRuns: 2000 },
  );
  for (const s of ['&amp;', '#x', 'a = b', '%NULL%x', '"q"', '{{x}}', 'Zoë']) t.is(cfgValue(s), s);
  t.is(cfgValue(5061), '5061');
  t.is(cfgValue(0), '0');
  t.is(cfgValue(true), 'true');
});

test('yealink cfg: CR, LF or NUL anywhere in a value is refused with an EncodeError', (t) => {
  for (const c of LINE_BREAKERS) {
    for (const s of [c, `a${c}`, `${c}a`, `pass${c}account.2.password = x`]) {
      const err = t.throws(() => cfgValue(s), { instanceOf: EncodeError }, JSON.stringify(s));
      t.regex(err?.message ?? '', /yealink-cfg: .*CR, LF or NUL/);
    }
  }
  fc.assert(
    fc.property(anyText, fc.nat(), fc.constantFrom(...LINE_BREAKERS), (s, at, c) => {
      const i = at % (s.length + 1);
      const bad = s.slice(0, i) + c + s.slice(i);
      try {
        cfgValue(bad);
        return false;
      } catch (err) {
        return err instanceof EncodeError;
      }
    }),
    { numRuns: 1000 },
  );
});

const unescape = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);

/** What XML 1.0 cannot carry, and what attribute-value normalisation would turn into a space. */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

test('xml: all five markup characters are escaped every time, entity-looking text included', (t) => {
  t.is(xmlValue('x', `&<>"'`), '&amp;&lt;&gt;&quot;&apos;');
  t.is(xmlValue('x', '&amp;'), '&amp;amp;');
  t.is(xmlValue('x', '&#38;'), '&amp;#38;');
  t.is(xmlValue('x', '&#x26;'), '&amp;#x26;');
  t.is(xmlValue('x', '&lt;&quot;'), '&amp;lt;&amp;quot;');
  t.is(xmlValue('x', xmlValue('x', '&')), '&amp;amp;', 'escaping is never skipped, even on escaped text');
  t.is(xmlValue('x', 'Zoë 😀 中文'), 'Zoë 😀 中文');
  t.is(xmlValue('x', 5061), '5061');
  fc.assert(
    fc.property(anyText, (s) => {
      fc.pre(!FORBIDDEN.test(s));
      const out = xmlValue('polycom-xml', s);
      return !/[<>"']/.test(out) && !/&(?!(amp|lt|gt|quot|apos);)/.test(out) && unescape(out) === s;
    }),
    { numRuns: 2000 },
  );
});

test('xml: every C0 control (TAB, CR, LF included), DEL and every C1 control is refused', (t) => {
  const codes = [...Array(0x20).keys(), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)];
  for (const c of codes) {
    const ch = String.fromCharCode(c);
    for (const s of [ch, `a${ch}b`]) {
      t.throws(() => xmlValue('polycom-xml', s), { instanceOf: EncodeError }, `U+${c.toString(16).padStart(4, '0')}`);
    }
  }
});

test('xml: lone surrogates and U+FFFE/U+FFFF are refused; pairs and other planes are fine', (t) => {
  for (const s of ['\ud800', 'a\udbffb', '\udc00', 'x\udfff', '\udc00\ud800', '\ufffe', '\uffff', 'ok\uffff']) {
    t.throws(() => xmlValue('polycom-xml', s), { instanceOf: EncodeError }, JSON.stringify(s));
  }
  for (const s of ['\ud83d\ude00', '\u{10ffff}', '\ufffd', '\ue000', '\ufdd0', '\u{1fffe}', '\u00a0', '\u2028']) {
    t.is(xmlValue('polycom-xml', s), s);
  }
});

test('xml: a value is refused exactly when it holds something XML cannot carry', (t) => {
  fc.assert(
    fc.property(anyText, (s) => {
      let refused = false;
      try {
        xmlValue('polycom-xml', s);
      } catch (err) {
        if (!(err instanceof EncodeError)) throw err;
        refused = true;
      }
      return refused === FORBIDDEN.test(s);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('xml: an encoded value inside an attribute reads back exactly, by fast-xml-parser and libxml2', (t) => {
  const doc = (v: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<c><e k.v="${polycomHelpers.attr!(v)}"/></c>\n`;
  fc.assert(
    fc.property(anyText, (s) => {
      fc.pre(!FORBIDDEN.test(s));
      return polycomParams(doc(s)).get('k.v') === s;
    }),
    { numRuns: 1000 },
  );
  for (const s of ['&amp;', '&#38;', `"'<>&`, ' lead and trail ', ']]>', '<!--x-->', 'Zoë 😀']) {
    t.true(xmllint(doc(s)).ok, s);
    t.is(xmllintAttribute(doc(s), 'k.v'), s);
  }
});

test('xml lines: CR and LF survive an attribute as character references, read back by libxml2; other controls are refused', (t) => {
  const doc = (v: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<c><e k.v="${polycomHelpers.attrLines!(v)}"/></c>\n`;
  const withBreaks = fc.array(fc.oneof(anyText, fc.constantFrom('\n', '\r\n', '\r')), { maxLength: 6 }).map((a) => a.join(''));
  fc.assert(
    fc.property(withBreaks, (s) => {
      // A line break stands between what it separates: two lone surrogates
      // either side of one are two lone surrogates, not a pair (a space keeps
      // them apart as the encoder does).
      fc.pre(!FORBIDDEN.test(s.replace(/[\r\n]/g, ' ')));
      const encoded = polycomHelpers.attrLines!(s);
      return !/[\r\n]/.test(encoded) && xmllintAttribute(doc(s), 'k.v') === s;
    }),
    { numRuns: 150 },
  );
  for (const s of ['a\tb', 'a\0b', 'a\u0085b', '\ud800\r\udfff', '\ud800\n', '\r\n\udfff']) t.throws(() => polycomHelpers.attrLines!(s), { instanceOf: EncodeError }, JSON.stringify(s));
  t.is(polycomHelpers.attrLines!('-----BEGIN X-----\nA&B\n-----END X-----'), '-----BEGIN X-----&#10;A&amp;B&#10;-----END X-----');
});

test('xml text and Cisco flat profile: element text reads back exactly through libxml2; a macro field doubles each $ and no other character', (t) => {
  const { text } = FORMATS['xml-text']!;
  const { macro, text: ciscoText } = FORMATS['cisco-flat-profile']!;
  fc.assert(
    fc.property(anyText, (s) => {
      let encoded: string;
      try {
        encoded = text!(s);
      } catch (err) {
        if (!(err instanceof EncodeError)) throw err;
        t.throws(() => macro!(s), { instanceOf: EncodeError });
        return;
      }
      if (ciscoText!(s) !== encoded) throw new Error('one escaping for XML text');
      if (libxmlValue(`<a>${encoded}</a>`, '/a', 'a') !== s) throw new Error(`text did not read back: ${JSON.stringify(s)}`);
      const expanded = (libxmlValue(`<a>${macro!(s)}</a>`, '/a', 'a') ?? '').replace(/\$\$/g, '$');
      if (expanded !== s) throw new Error(`macro did not read back: ${JSON.stringify(s)}`);
    }),
    { numRuns: 1000 },
  );
  t.is(macro!('$USER & $$'), '$$USER &amp; $$$$');
});
