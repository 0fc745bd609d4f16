// The property DESIGN.md names, for the softphone apps: for every secret,
// auth name, display name and label the API accepts, the app's real reading
// of the served bytes gives back exactly that text. Zoiper through
// fast-xml-parser and, on fewer runs (it spawns a process), libxml2's
// xmllint; MicroSIP through the Windows profile-API reader, which also
// decides the character set from the BOM as Windows does. And identical
// inputs give identical bytes, while a changed secret changes them.
import test from 'ava';
import fc from 'fast-check';
import { textProblem } from '../../server/domain/extension.ts';
import { secretProblem } from '../../server/domain/secret.ts';
import type { EncodedBody } from '../../server/render/body-encoding.ts';
import { iniGet, readMicrosipIni } from '../helpers/microsip-ini-reader.ts';
import { xmllint } from '../helpers/xml.ts';
import { acceptedAuthName, acceptedSecret, acceptedText } from './arbitraries.ts';
import { catalog, extension, renderSoftphone, xmllintZoiperField, zoiperAccount } from './fixtures.ts';

const cat = catalog();

interface Input {
  secret: string;
  displayName: string;
  label: string | null;
  authUsername: string;
}

const plain: Input = { secret: 'Plain-Secret-1', displayName: 'Plain', label: null, authUsername: 'plain' };

/** Outer quote pairs and edge characters the MicroSIP reader strips, around any text. */
const wrapped = (inner: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.constantFrom('"', "'", '', '""', "''", '="', '#', ';', '&', '<', '{{', '&amp;'), inner)
    .map(([q, s]) => {
      const close = q === '{{' ? '}}' : q === '="' ? '"' : q;
      return `${q}${s}${close}`;
    });

/** Any secret the API accepts, biased to outer quotes, INI and XML markup and template text. */
const softphoneSecret = fc
  .oneof(
    { weight: 2, arbitrary: acceptedSecret },
    { weight: 3, arbitrary: wrapped(acceptedSecret) },
    { weight: 1, arbitrary: fc.constantFrom('"abc&<x>"', "'x'&apos;'x'", '"&quot;&#34;"', '{{ini password}}', '=;#[Account2]') },
  )
  .filter((s) => secretProblem(s) === null);

/** Any display name or label the API accepts, biased the same way, non-ASCII included. */
const softphoneText = fc
  .oneof({ weight: 2, arbitrary: acceptedText }, { weight: 2, arbitrary: wrapped(acceptedText) })
  .filter((s) => textProblem(s, 64) === null);

function render(x: Input, using = cat) {
  const ext = extension({ number: '300', displayName: x.displayName, label: x.label, authUsername: x.authUsername, secret: x.secret });
  const zoiper = renderSoftphone('zoiper', ext, using).get('zoiper.xml')!;
  const microsip = renderSoftphone('microsip', ext, using).get('MicroSIP.ini')!;
  return { zoiper, microsip };
}

const mismatch = (what: string, got: unknown, want: unknown) =>
  new Error(`${what}: read back ${JSON.stringify(got)}, stored ${JSON.stringify(want)}`);

/** Every text field, as fast-xml-parser reads the Zoiper XML and the profile-API reader reads the MicroSIP bytes. */
function assertReadsBack(x: Input): void {
  const { zoiper, microsip } = render(x);
  const z = zoiperAccount(zoiper.bytes);
  const m = readMicrosipIni(microsip.bytes);
  const label = x.label ?? x.displayName;
  const pairs: [string, string | undefined, string][] = [
    ['zoiper password', z.get('password'), x.secret],
    ['zoiper SIP_auth_username', z.get('SIP_auth_username'), x.authUsername],
    ['zoiper SIP_callerId', z.get('SIP_callerId'), x.displayName],
    ['zoiper name', z.get('name'), label],
    ['microsip password', iniGet(m, 'Account1', 'password'), x.secret],
    ['microsip authID', iniGet(m, 'Account1', 'authID'), x.authUsername],
    ['microsip displayName', iniGet(m, 'Account1', 'displayName'), x.displayName],
    ['microsip label', iniGet(m, 'Account1', 'label'), label],
  ];
  for (const [what, got, want] of pairs) if (got !== want) throw mismatch(what, got, want);
  assertCharset(x, microsip);
}

/** Non-ASCII anywhere forces UTF-16LE with a BOM; an all-ASCII file is pure ASCII without one. */
function assertCharset(x: Input, microsip: EncodedBody): void {
  const nonAscii = /[^\x00-\x7f]/.test(x.displayName + (x.label ?? '') + x.secret + x.authUsername);
  const { bytes, contentType } = microsip;
  const bom = bytes[0] === 0xff && bytes[1] === 0xfe;
  if (nonAscii) {
    if (!bom || contentType !== 'text/plain; charset=utf-16le') throw new Error(`non-ASCII text served without a UTF-16LE BOM (${contentType})`);
  } else if (bom || !bytes.every((b) => b < 0x80) || contentType !== 'text/plain; charset=us-ascii') {
    throw new Error(`an all-ASCII file is not pure ASCII (${contentType})`);
  }
}

test('every accepted secret and auth name reads back exactly from the Zoiper XML and the MicroSIP bytes', (t) => {
  fc.assert(
    fc.property(softphoneSecret, acceptedAuthName, (secret, authUsername) => assertReadsBack({ ...plain, secret, authUsername })),
    { numRuns: 500 },
  );
  t.pass();
});

test('every accepted secret reads back exactly through libxml2 (xmllint), and the Zoiper file is well-formed', (t) => {
  fc.assert(
    fc.property(softphoneSecret, (secret) => {
      const { bytes } = render({ ...plain, secret }).zoiper;
      const lint = xmllint(bytes.toString('utf8'));
      if (!lint.ok) throw new Error(lint.errors);
      const got = xmllintZoiperField(bytes, 'password');
      if (got !== secret) throw mismatch('libxml2 password', got, secret);
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('secrets made only of the nastiest fragments read back exactly from both apps', (t) => {
  const secrets = [
    '"abc&<x>"', "'abc&<x>'", '""quoted""', "'\"mixed\"'", '"  spaced  "', '&amp;&amp;', '&#38;&#x26;', '&quot;x&quot;',
    '{{ini password}}', '{{{text x}}}', '=========', '########', ';;;;;;;;', '[Account2]', 'password=x', 'a=b; c#d',
    '<![CDATA[x]]>', '<!-- x -->', `~!@#$%^&*()_+{}|:"<>?\`-=[]\\;',./`,
  ];
  for (const secret of secrets) {
    t.is(secretProblem(secret), null, `the API accepts ${secret}`);
    t.notThrows(() => assertReadsBack({ ...plain, secret }), secret);
    t.is(xmllintZoiperField(render({ ...plain, secret }).zoiper.bytes, 'password'), secret);
  }
  for (const authUsername of ["'quoted'", "''", "'a'b'", '=x;y&z', 'user@example.com']) {
    t.notThrows(() => assertReadsBack({ ...plain, authUsername }), authUsername);
  }
});

test('every accepted display name and label reads back exactly, and non-ASCII forces UTF-16LE with a BOM', (t) => {
  fc.assert(
    fc.property(softphoneText, fc.option(softphoneText, { nil: null }), (displayName, label) =>
      assertReadsBack({ ...plain, displayName, label }),
    ),
    { numRuns: 500 },
  );
  t.pass();
});

test('accepted display names read back exactly through libxml2 (xmllint)', (t) => {
  fc.assert(
    fc.property(softphoneText, (displayName) => {
      const { bytes } = render({ ...plain, displayName }).zoiper;
      const lint = xmllint(bytes.toString('utf8'));
      if (!lint.ok) throw new Error(lint.errors);
      const got = xmllintZoiperField(bytes, 'SIP_callerId');
      if (got !== displayName) throw mismatch('libxml2 SIP_callerId', got, displayName);
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('display names that test the edges read back exactly, in the charset they need', (t) => {
  const names = [
    'Zoë "Front" Desk', '"Quoted"', "'Single'", '"Zoë"', '中文 "x"', '😀', '👩‍👩‍👧 family', 'e\u0301', 'a\u00a0b', '\u200bx\u200b',
    'x\ufeffy\u00ad', 'O\'Neil', 'A & B <C>', '&amp;', '{{ini x}}', '=x', ';x', '#x', '[x]', 'x'.repeat(64), 'é'.repeat(64),
  ];
  for (const displayName of names) {
    if (textProblem(displayName, 64) !== null) {
      t.fail(`the API refuses ${JSON.stringify(displayName)}: ${textProblem(displayName, 64)}`);
      continue;
    }
    t.notThrows(() => assertReadsBack({ ...plain, displayName }), JSON.stringify(displayName));
  }
  t.is(render({ ...plain, displayName: 'Zoë' }).microsip.bytes[0], 0xff);
  t.true(render({ ...plain, displayName: 'Zoe' }).microsip.bytes.every((b) => b < 0x80));
});

test('identical inputs give identical bytes for both apps, across catalog loads', (t) => {
  fc.assert(
    fc.property(softphoneSecret, softphoneText, fc.option(softphoneText, { nil: null }), (secret, displayName, label) => {
      const x = { ...plain, secret, displayName, label };
      const first = render(x);
      const again = render(structuredClone(x), catalog());
      for (const app of ['zoiper', 'microsip'] as const) {
        if (!first[app].bytes.equals(again[app].bytes) || first[app].contentType !== again[app].contentType) {
          throw new Error(`${app}: same inputs, different bytes`);
        }
      }
    }),
    { numRuns: 50 },
  );
  t.pass();
});

test('a changed secret changes the bytes of both apps', (t) => {
  fc.assert(
    fc.property(softphoneSecret, softphoneSecret, (a, b) => {
      fc.pre(a !== b);
      const one = render({ ...plain, secret: a });
      const two = render({ ...plain, secret: b });
      if (one.zoiper.bytes.equals(two.zoiper.bytes)) throw new Error('zoiper: different secrets, same bytes');
      if (one.microsip.bytes.equals(two.microsip.bytes)) throw new Error('microsip: different secrets, same bytes');
    }),
    { numRuns: 200 },
  );
  t.pass();
});
