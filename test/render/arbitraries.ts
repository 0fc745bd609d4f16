// Generators for the property tests: what the API accepts (filtered by the
// server's own rules, not a copy of them), biased towards the characters and
// fragments that break config formats.
import fc from 'fast-check';
import { AUTH_USERNAME, textProblem } from '../../server/domain/extension.ts';
import { secretProblem } from '../../server/domain/secret.ts';

const charIn = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));

export const printableAscii = charIn(0x20, 0x7e);

/** Markup, comment, separator and template fragments, and text that already looks escaped. */
export const NASTY_ASCII = [
  '&', '<', '>', '"', "'", '#', ';', '=', ' = ', '{{', '}}', '{{{', '\\', ' ', '%', '%NULL%',
  '&amp;', '&#38;', '&#x26;', '&lt;', '&quot;', '&apos;', ']]>', '<!--', '-->', '#!version:1.0.0.1',
  'include:config "x.cfg"', '[T46S]', '${x}', '$MAC',
];

/** Non-ASCII and invisible text, including what XML cannot carry and what the API must refuse. */
export const NASTY_UNICODE = [
  'ü', 'Zoë', 'É', 'ß', 'Ω', '中文', 'עברית', 'e\u0301', '😀', '👩‍👩‍👧', '\u00a0', '\u3000', '\u2009',
  '\u200b', '\u200e', '\u202e', '\ufeff', '\ufffd', '\ue000', '\ufdd0', '\u{10ffff}', '\u{1fffe}',
  '\ufffe', '\uffff', '\ud800', '\udfff', '\u0085', '\u2028', '\u2029', '\t', '\n', '\r', '\0', '\x7f', '\x9f',
];

const secretUnit = fc.oneof(
  { weight: 3, arbitrary: printableAscii },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_ASCII) },
);

/** Any secret the API accepts (secretProblem === null). */
export const acceptedSecret = fc
  .string({ unit: secretUnit, minLength: 2, maxLength: 40 })
  .filter((s) => secretProblem(s) === null);

const textUnit = fc.oneof(
  { weight: 2, arbitrary: printableAscii },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_ASCII, ...NASTY_UNICODE) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

/** Any display name or label the API accepts (textProblem(v, 64) === null). */
export const acceptedText = fc
  .string({ unit: textUnit, minLength: 1, maxLength: 24 })
  .filter((s) => textProblem(s, 64) === null);

/** Any auth user name the API accepts. */
export const acceptedAuthName = fc.stringMatching(AUTH_USERNAME);

/** Any string at all, mostly made of the nasty parts. */
export const anyText = fc.string({ unit: textUnit, minLength: 0, maxLength: 24 });
