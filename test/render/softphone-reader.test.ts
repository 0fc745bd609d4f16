// The MicroSIP.ini reader and the Zoiper read helpers themselves: the
// softphone parse-back and property tests are only as good as these, so each
// rule of VENDORS.md ("MicroSIP": Windows profile-API reading, encoding) is
// pinned here on hand-written bytes.
import test from 'ava';
import { iniGet, iniSection, readMicrosipIni, unquoteIniValue } from '../helpers/microsip-ini-reader.ts';
import { xmllintZoiperField, zoiperAccount } from './fixtures.ts';

const ansi = (text: string) => Buffer.from(text, 'latin1');
const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

test('ini reader: sections and key=value lines, split at the first =, CRLF and LF both end a line', (t) => {
  const f = readMicrosipIni(ansi('[Settings]\r\naccountId=1\n[Account1]\r\npassword=a=b=c\r\nlabel=x # y ; z & w\n'));
  t.is(f.encoding, 'ansi');
  t.deepEqual([...f.sections.keys()], ['Settings', 'Account1']);
  t.deepEqual([...f.sections.get('Account1')!], [
    ['password', 'a=b=c'],
    ['label', 'x # y ; z & w'],
  ]);
  t.is(iniGet(f, 'settings', 'ACCOUNTID'), '1', 'names compare case-insensitively, as Windows does');
  t.is(iniGet(f, 'Settings', 'missing'), undefined);
  t.is(iniGet(f, 'Nowhere', 'accountId'), undefined);
  t.is(iniSection(f, 'Nowhere'), null);
});

test('ini reader: whitespace around keys and values is trimmed, then one pair of outer quotes is stripped', (t) => {
  const f = readMicrosipIni(ansi('[S]\n  a  =  two  words  \nb=""x""\nc=\'y\'\nd=" padded "\ne="\nf=""\ng="x\'\nh=\t"q" \ni=\'"\'\nj=x"y"\n'));
  const v = (k: string) => iniGet(f, 'S', k);
  t.is(v('a'), 'two  words');
  t.is(v('b'), '"x"', 'only ONE pair comes off');
  t.is(v('c'), 'y');
  t.is(v('d'), ' padded ', 'nothing is trimmed after the quotes come off');
  t.is(v('e'), '"', 'a lone quote is not a pair');
  t.is(v('f'), '');
  t.is(v('g'), '"x\'', 'the pair must match');
  t.is(v('h'), 'q', 'blanks outside the quotes go first');
  t.is(v('i'), '"', 'a quote inside single quotes');
  t.is(v('j'), 'x"y"', 'quotes that are not outer stay');
});

test('ini reader: unquoteIniValue on its own', (t) => {
  t.is(unquoteIniValue('  "a b"  '), 'a b');
  t.is(unquoteIniValue("''"), '');
  t.is(unquoteIniValue('\u00a0x\u3000'), 'x', 'Unicode spaces count as whitespace (the conservative reading)');
  t.is(unquoteIniValue('"'), '"');
  t.is(unquoteIniValue('"a"b"'), 'a"b');
});

test('ini reader: a UTF-16LE BOM means UTF-16LE; without one the bytes are ANSI and non-ASCII reads back WRONG', (t) => {
  const text = '[Account1]\r\ndisplayName=Zoë 中文 😀\r\n';
  const wide = readMicrosipIni(utf16(text));
  t.is(wide.encoding, 'utf16le');
  t.is(iniGet(wide, 'Account1', 'displayName'), 'Zoë 中文 😀');
  const utf8 = readMicrosipIni(Buffer.from(text, 'utf8'));
  t.is(utf8.encoding, 'ansi');
  t.is(iniGet(utf8, 'Account1', 'displayName'), 'ZoÃ« ä¸\u00adæ–‡ ðŸ˜€', 'UTF-8 without a BOM is mojibake on Windows');
  t.not(iniGet(utf8, 'Account1', 'displayName'), 'Zoë 中文 😀');
  t.is(iniGet(readMicrosipIni(Buffer.from([...Buffer.from('[A]\nk='), 0xeb])), 'A', 'k'), 'ë', 'ANSI is windows-1252');
  t.is(iniGet(readMicrosipIni(Buffer.from([...Buffer.from('[A]\nk='), 0x80])), 'A', 'k'), '€', 'windows-1252, not latin1');
});

test('ini reader: a UTF-8 BOM or a UTF-16 file without its BOM does not read', (t) => {
  t.throws(() => readMicrosipIni(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[A]\nk=v\n')])), {
    message: /line 1: neither/,
  });
  t.throws(() => readMicrosipIni(Buffer.from('[A]\r\nk=v\r\n', 'utf16le')), { message: /NUL/ });
  t.throws(() => readMicrosipIni(Buffer.from([0xff, 0xfe, 0x5b])), { message: /odd number of bytes/ });
  t.throws(() => readMicrosipIni(Buffer.from([0xfe, 0xff, 0, 0x5b, 0, 0x41, 0, 0x5d])), { message: /line 1/ }, 'UTF-16BE is not read');
});

test('ini reader: duplicate keys and sections, keys outside a section and stray lines are errors', (t) => {
  t.throws(() => readMicrosipIni(ansi('[A]\nk=1\nk=2\n')), { message: /line 3: duplicate key k/ });
  t.throws(() => readMicrosipIni(ansi('[A]\nKey=1\nkey=2\n')), { message: /duplicate key key/ });
  t.throws(() => readMicrosipIni(ansi('[A]\n[a]\n')), { message: /duplicate section/ });
  t.throws(() => readMicrosipIni(ansi('k=1\n[A]\n')), { message: /before any section/ });
  t.throws(() => readMicrosipIni(ansi('[A]\n=1\n')), { message: /empty key/ });
  t.throws(() => readMicrosipIni(ansi('[A]\njust text\n')), { message: /neither/ });
  t.throws(() => readMicrosipIni(ansi('[]\n')), { message: /empty section/ });
  t.throws(() => readMicrosipIni(ansi('[A]\nk=a\rb\n')), { message: /CR/ });
  t.throws(() => readMicrosipIni(ansi('[A]\nk=a\0b\n')), { message: /NUL/ });
  t.throws(() => readMicrosipIni(ansi(`[A]\nk=${'x'.repeat(256)}\n`)), { message: /longer than 255/ });
  t.notThrows(() => readMicrosipIni(ansi(`[A]\nk="${'x'.repeat(255)}"\n`)), '255 after the quotes come off');
  t.deepEqual([...readMicrosipIni(ansi('[A]\nk=1\n[B]\nk=2\n')).sections].map(([s, m]) => [s, [...m]]), [
    ['A', [['k', '1']]],
    ['B', [['k', '2']]],
  ], 'the same key in two sections is fine');
});

test('ini reader: blank lines and ; comments are skipped, blanks around a section name are ignored', (t) => {
  const f = readMicrosipIni(ansi('\n; note=1\n  [ A ]  \n\n  ;k=2\nk=3\n'));
  t.deepEqual([...f.sections.get('A')!], [['k', '3']]);
});

const zoiper = (account: string) =>
  Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<options><accounts><account>${account}</account></accounts></options>\n`);

test('zoiper helpers: fast-xml-parser and xmllint read element text, entities once, blanks kept', (t) => {
  const doc = zoiper('<password> &amp;lt; &quot;x&apos; </password><name>Zoë</name><empty></empty>');
  t.deepEqual([...zoiperAccount(doc)], [
    ['password', ' &lt; "x\' '],
    ['name', 'Zoë'],
    ['empty', ''],
  ]);
  t.is(xmllintZoiperField(doc, 'password'), ' &lt; "x\' ');
  t.is(xmllintZoiperField(doc, 'name'), 'Zoë');
  t.is(xmllintZoiperField(doc, 'missing'), null);
});

test('zoiper helpers: a repeated field, a nested element, a second account or another root is an error', (t) => {
  t.throws(() => zoiperAccount(zoiper('<a>1</a><a>2</a>')), { message: /<a> is not a single text field/ });
  t.throws(() => xmllintZoiperField(zoiper('<a>1</a><a>2</a>'), 'a'), { message: /2 times/ });
  t.throws(() => zoiperAccount(zoiper('<a><b>1</b></a>')), { message: /<a> is not a single text field/ });
  t.throws(() => zoiperAccount(zoiper('<a>1</a></account><account><a>2</a>')), { message: /expected one <account>/ });
  t.throws(() => zoiperAccount(Buffer.from('<opts><accounts><account/></accounts></opts>')), { message: /root is opts/ });
  t.throws(() => zoiperAccount(zoiper('<a>x & y</a>')), { message: /refuses/ });
  t.throws(() => zoiperAccount(Buffer.from([...zoiper('<a>'), 0xff])), { instanceOf: TypeError }, 'bytes that are not UTF-8');
});
