// A reader for MicroSIP.ini that applies the Windows profile-API rules of
// VENDORS.md ("MicroSIP") to the BYTES a user saves, and is strict where
// those rules are silent, so that anything ambiguous fails a test instead of
// passing by luck:
//
// - Encoding: a UTF-16LE byte order mark (FF FE) means the rest is UTF-16LE
//   (an odd byte count is an error). Anything else is read in the Windows
//   ANSI code page, taken here as windows-1252: a UTF-8 file with non-ASCII
//   text therefore reads back wrong (`Zoë` becomes `ZoÃ«`), exactly as it
//   would on a Western-European Windows. A UTF-8 BOM is no exception.
// - Lines end with CRLF or LF. A CR anywhere else, or a NUL, is an error.
// - A blank line is skipped; a line starting with `;` is a comment.
// - `[Name]` starts a section (whitespace around the brackets is ignored).
// - Any other line is `key=value`, split at the FIRST `=`. Whitespace around
//   the key and around the value is trimmed (whitespace: JavaScript's `\s`,
//   which takes in Unicode spaces as well; the conservative assumption about
//   what Windows trims). Then ONE matching pair of outer quotes, `'…'` or
//   `"…"`, is stripped from a value of two or more characters; nothing is
//   trimmed again after that. There is no other escaping: `=`, `#`, `;`, `&`
//   inside a value are plain characters.
// - Section and key names compare case-insensitively, as Windows does. A key
//   given twice in one section, a section given twice, a key before any
//   section, an empty key and a line that is none of the above are errors.
// - A field longer than 255 characters after stripping is an error (Windows'
//   profile API reads at most that much into MicroSIP's buffers).

export type IniEncoding = 'utf16le' | 'ansi';

export interface IniFile {
  encoding: IniEncoding;
  /** Sections in file order, keys in file order, names as written. */
  sections: Map<string, Map<string, string>>;
}

export class IniReadError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(line > 0 ? `line ${line}: ${problem}` : problem);
    this.name = 'IniReadError';
  }
}

export const MAX_FIELD = 255;
// windows-1252 differs from latin1 in 0x80-0x9F. Node's own TextDecoder for
// it drops those bytes (seen on Node 20), so the table is spelt out here; the
// five bytes 1252 leaves undefined map to the C1 control of the same number,
// as Windows' MultiByteToWideChar does.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const ANSI = { decode: (bytes: Uint8Array) => Array.from(bytes, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : String.fromCharCode(b))).join('') };
const EDGE_BLANKS = /^\s+|\s+$/g;

/** Decodes the bytes the way Windows' profile API picks the character set. */
export function decodeIniBytes(bytes: Uint8Array): { encoding: IniEncoding; text: string } {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    if (bytes.length % 2 !== 0) throw new IniReadError(0, 'UTF-16LE file with an odd number of bytes');
    return { encoding: 'utf16le', text: Buffer.from(bytes.subarray(2)).toString('utf16le') };
  }
  return { encoding: 'ansi', text: ANSI.decode(bytes) };
}

/** The value as the profile API returns it: trimmed, then one pair of outer quotes removed. */
export function unquoteIniValue(raw: string): string {
  const value = raw.replace(EDGE_BLANKS, '');
  const first = value[0];
  if (value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)) return value.slice(1, -1);
  return value;
}

export function readMicrosipIni(bytes: Uint8Array): IniFile {
  const { encoding, text } = decodeIniBytes(bytes);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const sections = new Map<string, Map<string, string>>();
  const seenSections = new Set<string>();
  let current: Map<string, string> | null = null;
  let currentKeys = new Set<string>();
  lines.forEach((line, i) => {
    const n = i + 1;
    if (/[\r\0]/.test(line)) throw new IniReadError(n, 'CR (not part of a CRLF) or NUL inside a line');
    const trimmed = line.replace(EDGE_BLANKS, '');
    if (trimmed === '' || trimmed.startsWith(';')) return;
    const section = /^\[([^\]]*)\]$/.exec(trimmed);
    if (section) {
      const name = section[1]!.replace(EDGE_BLANKS, '');
      if (name === '') throw new IniReadError(n, 'empty section name');
      if (seenSections.has(name.toLowerCase())) throw new IniReadError(n, `duplicate section [${name}]`);
      seenSections.add(name.toLowerCase());
      current = new Map();
      currentKeys = new Set();
      sections.set(name, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new IniReadError(n, `neither a section, a comment nor key=value: ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).replace(EDGE_BLANKS, '');
    if (key === '') throw new IniReadError(n, 'empty key');
    if (!current) throw new IniReadError(n, `key ${key} before any section`);
    if (currentKeys.has(key.toLowerCase())) throw new IniReadError(n, `duplicate key ${key}`);
    const value = unquoteIniValue(line.slice(eq + 1));
    if (value.length > MAX_FIELD) throw new IniReadError(n, `${key} is longer than ${MAX_FIELD} characters`);
    currentKeys.add(key.toLowerCase());
    (current as Map<string, string>).set(key, value);
  });
  return { encoding, sections };
}

/** A section by name, case-insensitively as Windows looks it up; null when absent. */
export function iniSection(file: IniFile, section: string): Map<string, string> | null {
  for (const [name, keys] of file.sections) if (name.toLowerCase() === section.toLowerCase()) return keys;
  return null;
}

/** A key's value, case-insensitively; undefined when the section or the key is absent. */
export function iniGet(file: IniFile, section: string, key: string): string | undefined {
  const keys = iniSection(file, section);
  if (!keys) return undefined;
  for (const [name, value] of keys) if (name.toLowerCase() === key.toLowerCase()) return value;
  return undefined;
}
