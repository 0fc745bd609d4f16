// A reader for Yealink .cfg and .boot files that reads them the way the
// phone is documented to (VENDORS.md, "Config format"), and is strict where
// the documentation is silent, so that anything ambiguous fails a test
// instead of passing by luck:
//
// - Lines end with LF. A CR or NUL anywhere is an error (the encoder refuses
//   both; a stray one would end or cut a value early on some firmware).
// - The first line is exactly `#!version:1.0.0.1`.
// - A line starting with `#` is a comment; an empty line is skipped.
// - `include:config "file"` / `include:config <file>`, optionally prefixed
//   by `[MODEL,MODEL]`, is an include (boot files).
// - Any other line is `key = value`: split on the FIRST `=`; the key is the
//   text before it (a dotted name, not indented); the value is everything
//   after it, taken literally (no unquoting, no unescaping, `#` and `=` are
//   plain characters). Whitespace (space, TAB) next to the separator is not
//   part of the key or the value, and neither is whitespace at the end of
//   the line: `key = value` is written with spaces around `=`, so a value's
//   leading blanks cannot be told from the separator's, and no Yealink
//   document says that trailing blanks are kept. A value that starts or ends
//   with whitespace therefore does not survive, which is the conservative
//   assumption about the phone.
// - A value that is exactly `%NULL%` clears the key: it reads back as null.
// - A key given twice in one file is an error (the phone would keep one of
//   them silently; which one is not documented).
export const YEALINK_HEADER = '#!version:1.0.0.1';

export interface YealinkInclude {
  /** Models from a `[T46S,T48S]` prefix, or null when every model fetches it. */
  models: string[] | null;
  file: string;
}

export interface YealinkFile {
  /** Keys in file order; null where the file says %NULL%. */
  values: Map<string, string | null>;
  includes: YealinkInclude[];
}

export class YealinkCfgError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`line ${line}: ${problem}`);
    this.name = 'YealinkCfgError';
  }
}

const BLANK = /^[ \t]+|[ \t]+$/g;
const KEY = /^[A-Za-z0-9_.]+$/;
const INCLUDE = /^(?:\[([^\]]*)\])?include:config[ \t]+(?:"([^"]*)"|<([^>]*)>)[ \t]*$/;

export function readYealinkCfg(text: string): YealinkFile {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== YEALINK_HEADER) {
    throw new YealinkCfgError(1, `first line must be exactly ${YEALINK_HEADER}, got ${JSON.stringify(lines[0])}`);
  }
  const values = new Map<string, string | null>();
  const includes: YealinkInclude[] = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    if (/[\r\0]/.test(line)) throw new YealinkCfgError(n, 'CR or NUL inside a line');
    if (i === 0 || line === '' || line.startsWith('#')) return;
    const inc = INCLUDE.exec(line);
    if (inc) {
      const models = inc[1] === undefined ? null : inc[1].split(',').map((m) => m.trim());
      if (models?.some((m) => m === '')) throw new YealinkCfgError(n, 'empty model name in the [..] prefix');
      includes.push({ models, file: inc[2] ?? inc[3]! });
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new YealinkCfgError(n, `neither a comment, an include nor key = value: ${JSON.stringify(line)}`);
    const key = line.slice(0, eq).replace(/[ \t]+$/, '');
    if (!KEY.test(key)) throw new YealinkCfgError(n, `not a key: ${JSON.stringify(key)}`);
    if (values.has(key)) throw new YealinkCfgError(n, `duplicate key ${key}`);
    const value = line.slice(eq + 1).replace(BLANK, '');
    values.set(key, value === '%NULL%' ? null : value);
  });
  return { values, includes };
}

/** The value of a key that must be there (and not %NULL%). */
export function cfgGet(file: YealinkFile, key: string): string {
  const v = file.values.get(key);
  if (v === undefined || v === null) throw new Error(`no value for ${key}`);
  return v;
}
