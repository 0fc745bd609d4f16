// The test readers themselves: the parse-back and property tests are only as
// good as the readers, so each rule of the Yealink line reader and each
// strictness of the XML helpers is pinned here.
import test from 'ava';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { parseXml, polycomParams, xmllint, xmllintAttribute } from '../helpers/xml.ts';

const H = '#!version:1.0.0.1\n';

test('yealink reader: the first line must be exactly the version header', (t) => {
  t.throws(() => readYealinkCfg('a = 1\n'), { message: /first line/ });
  t.throws(() => readYealinkCfg(' #!version:1.0.0.1\na = 1\n'), { message: /first line/ });
  t.throws(() => readYealinkCfg('#!version:1.0.0.1 \na = 1\n'), { message: /first line/ });
  t.throws(() => readYealinkCfg('\ufeff#!version:1.0.0.1\na = 1\n'), { message: /first line/ });
  t.throws(() => readYealinkCfg(''), { message: /first line/ });
  t.deepEqual([...readYealinkCfg(`${H}a = 1\n`).values], [['a', '1']]);
});

test('yealink reader: a value runs to the end of the line, taken literally', (t) => {
  const f = readYealinkCfg(`${H}a.b = x = y # not a comment\nc=&amp;"q"<v>\nd =  two  spaces \ne =\n`);
  t.is(f.values.get('a.b'), 'x = y # not a comment');
  t.is(f.values.get('c'), '&amp;"q"<v>');
  t.is(f.values.get('d'), 'two  spaces', 'blanks next to the separator and at the end are not part of the value');
  t.is(f.values.get('e'), '');
});

test('yealink reader: # at line start is a comment, %NULL% clears, blank lines are skipped', (t) => {
  const f = readYealinkCfg(`${H}# a = 1\n## b = 2\n\nc = %NULL%\nd = x%NULL%\n`);
  t.deepEqual([...f.values], [
    ['c', null],
    ['d', 'x%NULL%'],
  ]);
});

test('yealink reader: duplicate keys, CR, NUL and lines that are not key = value are errors', (t) => {
  t.throws(() => readYealinkCfg(`${H}a = 1\na = 2\n`), { message: /duplicate key a/ });
  t.throws(() => readYealinkCfg(`${H}a = 1\r\n`), { message: /CR or NUL/ });
  t.throws(() => readYealinkCfg(`${H}a = x\0y\n`), { message: /CR or NUL/ });
  t.throws(() => readYealinkCfg(`${H}just text\n`), { message: /neither/ });
  t.throws(() => readYealinkCfg(`${H} a = 1\n`), { message: /not a key/ });
  t.throws(() => readYealinkCfg(`${H}a b = 1\n`), { message: /not a key/ });
});

test('yealink reader: include lines, with and without a model prefix', (t) => {
  const f = readYealinkCfg(`${H}include:config "a.cfg"\n[T46S,T48S]include:config <b.cfg>\n`);
  t.deepEqual(f.includes, [
    { models: null, file: 'a.cfg' },
    { models: ['T46S', 'T48S'], file: 'b.cfg' },
  ]);
  t.throws(() => readYealinkCfg(`${H}[T46S]\ninclude:config "a.cfg"\n`), { message: /neither/ });
  t.throws(() => readYealinkCfg(`${H}[,T46S]include:config "a.cfg"\n`), { message: /empty model/ });
});

test('xml helpers: fast-xml-parser reads entities once, keeps blanks and text as text', (t) => {
  const doc = '<?xml version="1.0"?><r><a k="  &amp;lt; &quot;x&apos; 007 "/><b j=""/></r>';
  t.deepEqual([...polycomParams(doc)], [
    ['k', `  &lt; "x' 007 `],
    ['j', ''],
  ]);
  t.throws(() => polycomParams('<r><a k="1"/><b k="2"/></r>'), { message: /k is set twice/ });
  t.throws(() => parseXml('<r><a k="1"></r>'));
});

test('xml helpers: xmllint refuses what fast-xml-parser lets through, and reads attributes itself', (t) => {
  t.false(xmllint('<r a="x&y"/>').ok);
  t.false(xmllint('<r a="x<y"/>').ok);
  t.false(xmllint('<r a="x&#1;"/>').ok);
  t.true(xmllint('<?xml version="1.0" encoding="UTF-8"?><r a="Zoë &amp;amp;"/>').ok);
  t.is(xmllintAttribute('<r><e a.b="  &amp;#38;&quot; "/></r>', 'a.b'), '  &#38;" ');
  t.is(xmllintAttribute('<r a.b=""/>', 'a.b'), '');
  t.is(xmllintAttribute('<r/>', 'a.b'), null);
  t.throws(() => xmllintAttribute('<r><e k="1"/><e k="2"/></r>', 'k'), { message: /set 2 times/ });
});
