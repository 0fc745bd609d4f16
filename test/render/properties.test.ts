// The property DESIGN.md names: for every secret (and every display name) the
// API accepts, the real parser of each format reads back exactly that text.
// Yealink through the line reader, Polycom through fast-xml-parser and, on
// fewer runs, libxml2; Grandstream, Snom, Fanvil and Cisco through libxml2.
// A value a vendor's text rules refuse is refused at render, never written.
// And identical inputs render identical bytes, while a changed secret
// changes them.
import test from 'ava';
import fc from 'fast-check';
import type { DeviceLine } from '../../server/domain/device.ts';
import { textProblem } from '../../server/domain/extension.ts';
import { RenderFailure, type OpenExtension } from '../../server/render/renderer.ts';
import { textRuleProblem } from '../../server/render/text-rules.ts';
import { readDeskFile, type DeskVendor } from '../helpers/desk-readers.ts';
import { readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';
import { polycomParams, xmllint, xmllintAttribute } from '../helpers/xml.ts';
import { acceptedAuthName, acceptedSecret, acceptedText } from './arbitraries.ts';
import { DATA_VENDORS, catalog, device, extension, lookup, PROV_PASSWORD, TEST_SITE } from './fixtures.ts';

const cat = catalog();
const YEALINK_MAC = '805ec0000042';
const POLYCOM_MAC = '0004f2000042';

interface LineInput {
  secret: string;
  displayName: string;
  label: string | null;
  authUsername: string;
}

const plainLine: LineInput = { secret: 'Plain-Secret-1', displayName: 'Plain', label: null, authUsername: 'plain' };

const lineInputs = (overrides: fc.Arbitrary<Partial<LineInput>>) =>
  fc.array(overrides.map((o) => ({ ...plainLine, ...o })), { minLength: 1, maxLength: 4 });

const linesOf = (inputs: LineInput[]) => {
  const extensions: OpenExtension[] = inputs.map((x, i) =>
    extension({ number: String(300 + i), displayName: x.displayName, label: x.label, authUsername: x.authUsername, secret: x.secret }),
  );
  const lines: DeviceLine[] = inputs.map((_, i) => ({ line: i + 1, extension: String(300 + i) }));
  return { extensions, lines };
};

/** Whether the vendor's text rules take every line (the API took them all). */
const takes = (vendor: string, inputs: LineInput[]) =>
  inputs.every((x) => textRuleProblem(cat.profiles.get(vendor)!, { number: '300', displayName: x.displayName, label: x.label ?? x.displayName, authUsername: x.authUsername, password: x.secret }) === null);

/** Renders one Yealink T46S and one Polycom VVX 450 with the inputs on lines 1..n. */
function renderBoth(inputs: LineInput[], using = cat) {
  const { extensions, lines } = linesOf(inputs);
  const yealink = using.renderer.renderDevice(device('yealink', YEALINK_MAC, 'T46S', lines), lookup(extensions), PROV_PASSWORD, TEST_SITE);
  const polycom = using.renderer.renderDevice(device('polycom', POLYCOM_MAC, 'VVX_450', lines), lookup(extensions), PROV_PASSWORD, TEST_SITE);
  return { cfg: yealink.get(`${YEALINK_MAC}.cfg`)!, xml: polycom.get(`${POLYCOM_MAC}-sip.cfg`)!, yealink, polycom };
}

/** Every field of every line, as the Yealink reader and fast-xml-parser read them back. */
function assertReadsBack(inputs: LineInput[]): void {
  fc.pre(takes('yealink', inputs));
  const { cfg, xml } = renderBoth(inputs);
  const y = readYealinkCfg(cfg).values;
  const p = polycomParams(xml);
  inputs.forEach((x, i) => {
    const n = i + 1;
    const label = x.label ?? x.displayName;
    const pairs: [string, string | null | undefined, string][] = [
      ['yealink password', y.get(`account.${n}.password`), x.secret],
      ['yealink auth_name', y.get(`account.${n}.auth_name`), x.authUsername],
      ['yealink display_name', y.get(`account.${n}.display_name`), x.displayName],
      ['yealink label', y.get(`account.${n}.label`), label],
      ['polycom password', p.get(`reg.${n}.auth.password`), x.secret],
      ['polycom userId', p.get(`reg.${n}.auth.userId`), x.authUsername],
      ['polycom displayName', p.get(`reg.${n}.displayName`), x.displayName],
      ['polycom label', p.get(`reg.${n}.label`), label],
    ];
    for (const [what, got, want] of pairs) {
      if (got !== want) throw new Error(`line ${n} ${what}: read back ${JSON.stringify(got)}, stored ${JSON.stringify(want)}`);
    }
  });
}

test('every accepted secret (and auth name) reads back exactly from the Yealink cfg and the Polycom XML', (t) => {
  fc.assert(
    fc.property(
      lineInputs(fc.record({ secret: acceptedSecret, authUsername: acceptedAuthName })),
      (inputs) => assertReadsBack(inputs),
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('every accepted secret reads back exactly through libxml2 (xmllint), and the file is well-formed', (t) => {
  fc.assert(
    fc.property(lineInputs(fc.record({ secret: acceptedSecret })), (inputs) => {
      const { xml } = renderBoth(inputs);
      const lint = xmllint(xml);
      if (!lint.ok) throw new Error(lint.errors);
      inputs.forEach((x, i) => {
        const got = xmllintAttribute(xml, `reg.${i + 1}.auth.password`);
        if (got !== x.secret) throw new Error(`libxml2 read ${JSON.stringify(got)}, stored ${JSON.stringify(x.secret)}`);
      });
    }),
    { numRuns: 40 },
  );
  t.pass();
});

test('secrets made only of the nastiest fragments read back exactly', (t) => {
  const secrets = [
    '&amp;&amp;', '&#38;&#38;', '%NULL%%NULL%', '{{cfg x}}}}', '#!version:1.0.0.1', '"\'<>&;=#x',
    '=========', '########', 'x = y = z', 'a&lt;b&gt;c', `~!@#$%^&*()_+{}|:"<>?\`-=[]\\;',./`,
  ];
  assertReadsBack(secrets.map((secret) => ({ ...plainLine, secret })));
  assertDeskReadsBack(secrets.map((secret) => ({ ...plainLine, secret, displayName: secret, label: `$$${secret}$` })));
  const { xml } = renderBoth(secrets.map((secret) => ({ ...plainLine, secret })));
  secrets.forEach((s, i) => t.is(xmllintAttribute(xml, `reg.${i + 1}.auth.password`), s));
});

test('every accepted display name and label reads back exactly from the Yealink cfg and the Polycom XML', (t) => {
  fc.assert(
    fc.property(
      lineInputs(fc.record({ displayName: acceptedText, label: fc.option(acceptedText, { nil: null }) })),
      (inputs) => assertReadsBack(inputs),
    ),
    { numRuns: 400 },
  );
  t.pass();
});

test('accepted display names read back exactly through libxml2 (xmllint)', (t) => {
  fc.assert(
    fc.property(lineInputs(fc.record({ displayName: acceptedText })), (inputs) => {
      fc.pre(takes('yealink', inputs));
      const { xml } = renderBoth(inputs);
      const lint = xmllint(xml);
      if (!lint.ok) throw new Error(lint.errors);
      inputs.forEach((x, i) => {
        const got = xmllintAttribute(xml, `reg.${i + 1}.displayName`);
        if (got !== x.displayName) throw new Error(`libxml2 read ${JSON.stringify(got)}, stored ${JSON.stringify(x.displayName)}`);
      });
    }),
    { numRuns: 40 },
  );
  t.pass();
});

// Display names no phone can be given as they are: Yealink drops edge
// whitespace; XML 1.0 cannot carry U+FFFE/U+FFFF. The API refuses each, so
// no later render can fail or lie.
const refusedNames: [string, string][] = [
  ['a leading space (Yealink: indistinguishable from the separator)', ' Reception'],
  ['a trailing space (Yealink: not documented to survive)', 'Reception '],
  ['U+FFFE (XML 1.0 cannot carry it)', 'Front\ufffeDesk'],
  ['U+FFFF (XML 1.0 cannot carry it)', 'Front\uffffDesk'],
];
for (const [what, name] of refusedNames) {
  test(`the API refuses a display name with ${what}`, (t) => {
    t.not(textProblem(name, 64), null);
  });
}

// What only one vendor cannot carry is its profile's rule: Yealink reads a
// value of exactly %NULL% as "clear the key". The API takes it; a Yealink it
// would reach refuses it at render (so the change is refused), every other
// vendor writes it.
test('exactly %NULL% as a name or label: the Yealink render refuses it, the other vendors write it', (t) => {
  t.is(textProblem('%NULL%', 64), null);
  for (const x of [{ ...plainLine, displayName: '%NULL%' }, { ...plainLine, label: '%null%' }]) {
    const { extensions, lines } = linesOf([x]);
    const err = t.throws(() => cat.renderer.renderDevice(device('yealink', YEALINK_MAC, 'T46S', lines), lookup(extensions), PROV_PASSWORD, TEST_SITE), {
      instanceOf: RenderFailure,
    });
    t.is(err?.code, 'unsupported-value');
    t.regex(err?.reason ?? '', /Yealink phones cannot take this (display name|label): .*%NULL%/);
    t.notThrows(() => cat.renderer.renderDevice(device('polycom', POLYCOM_MAC, 'VVX_450', lines), lookup(extensions), PROV_PASSWORD, TEST_SITE));
    for (const v of DATA_VENDORS) t.notThrows(() => cat.renderer.renderDevice(device(v.vendor, v.mac, v.model, lines), lookup(extensions), PROV_PASSWORD, TEST_SITE));
  }
});

/** The credential file of each data-only vendor's phone with the inputs on lines 1..n. */
function renderDesk(inputs: LineInput[], using = cat): Map<DeskVendor, string> {
  const { extensions, lines } = linesOf(inputs);
  const out = new Map<DeskVendor, string>();
  for (const v of DATA_VENDORS) {
    const files = using.renderer.renderDevice(device(v.vendor, v.mac, v.model, lines), lookup(extensions), PROV_PASSWORD, TEST_SITE);
    const spec = using.profiles.get(v.vendor)!.files.find((f) => f.credentials)!;
    out.set(v.vendor, files.get(spec.name.replace('{mac}', v.mac))!);
  }
  return out;
}

/** Every field of every line, as libxml2 reads each data-only vendor's file (Cisco's macro fields expanded). */
function assertDeskReadsBack(inputs: LineInput[]): void {
  for (const [vendor, body] of renderDesk(inputs)) {
    readDeskFile(vendor, body, (f) => {
      inputs.forEach((x, i) => {
        const got = f.line(i + 1);
        const want: [string, string | null, string][] = [
          ['secret', got.password, x.secret],
          ['auth user', got.authUsername, x.authUsername],
          ['display name', got.displayName, x.displayName],
        ];
        if (got.label !== null) want.push(['label', got.label, x.label ?? x.displayName]);
        for (const [what, read, stored] of want) {
          if (read !== stored) throw new Error(`${vendor} line ${i + 1} ${what}: read back ${JSON.stringify(read)}, stored ${JSON.stringify(stored)}`);
        }
      });
      const login = f.login();
      if (login.password !== PROV_PASSWORD) throw new Error(`${vendor}: provisioning password read back ${JSON.stringify(login.password)}`);
    });
  }
}

test('every accepted secret and auth name reads back exactly through libxml2 from the Grandstream, Snom, Fanvil and Cisco files', (t) => {
  fc.assert(fc.property(lineInputs(fc.record({ secret: acceptedSecret, authUsername: acceptedAuthName })), assertDeskReadsBack), { numRuns: 200 });
  t.pass();
});

test('every accepted display name and label reads back exactly through libxml2 from the Grandstream, Snom, Fanvil and Cisco files', (t) => {
  fc.assert(
    fc.property(lineInputs(fc.record({ displayName: acceptedText, label: fc.option(acceptedText, { nil: null }) })), assertDeskReadsBack),
    { numRuns: 200 },
  );
  t.pass();
});

test('Grandstream, Snom, Fanvil, Cisco: identical inputs render identical bytes, and a changed secret changes them', (t) => {
  fc.assert(
    fc.property(acceptedSecret, acceptedSecret, (a, b) => {
      fc.pre(a !== b);
      const one = renderDesk([{ ...plainLine, secret: a }]);
      const again = renderDesk([{ ...plainLine, secret: a }], catalog());
      const two = renderDesk([{ ...plainLine, secret: b }]);
      for (const [vendor, body] of one) {
        if (again.get(vendor) !== body) throw new Error(`${vendor}: same inputs, different bytes`);
        if (two.get(vendor) === body) throw new Error(`${vendor}: different secrets, same bytes`);
      }
    }),
    { numRuns: 50 },
  );
  t.pass();
});

test('identical inputs render identical bytes, every file, across catalog loads', (t) => {
  fc.assert(
    fc.property(
      lineInputs(fc.record({ secret: acceptedSecret, displayName: fc.constantFrom('Zoë "Z"', 'A & B', "O'Neil") })),
      (inputs) => {
        const first = renderBoth(inputs);
        const again = renderBoth(structuredClone(inputs), catalog());
        for (const vendor of ['yealink', 'polycom'] as const) {
          const [a, b] = [first[vendor], again[vendor]];
          if (a.size !== b.size || [...a].some(([file, body]) => b.get(file) !== body)) {
            throw new Error(`${vendor}: same inputs, different bytes`);
          }
        }
      },
    ),
    { numRuns: 50 },
  );
  for (const vendor of ['yealink', 'polycom']) {
    const a = catalog().renderer.renderVendor(cat.profiles.get(vendor)!);
    const b = catalog().renderer.renderVendor(catalog().profiles.get(vendor)!);
    t.deepEqual([...a], [...b], vendor);
  }
});

test('a changed secret changes the bytes of the credential files (phones compare checksums)', (t) => {
  fc.assert(
    fc.property(acceptedSecret, acceptedSecret, (a, b) => {
      fc.pre(a !== b);
      const one = renderBoth([{ ...plainLine, secret: a }]);
      const two = renderBoth([{ ...plainLine, secret: b }]);
      if (one.cfg === two.cfg || one.xml === two.xml) throw new Error('different secrets, same bytes');
    }),
    { numRuns: 200 },
  );
  t.pass();
});
