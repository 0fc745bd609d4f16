// A CSV file as spreadsheets write it: UTF-8 with or without a byte order
// mark, comma or semicolon between cells (a spreadsheet in a locale with a
// decimal comma writes semicolons), quoted cells holding either, any line
// ending. Read whole into rows of text; what the cells mean is import-rows.ts.
import { parse } from 'csv-parse/sync';
import { InvalidInput, PayloadTooLarge } from '../../domain/errors.ts';

/** The largest file the import takes, and the most data rows. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
export const MAX_IMPORT_ROWS = 20_000;

export interface CsvTable {
  header: string[];
  /** `row`: the row's number as a spreadsheet shows it (the header is row 1). */
  rows: { row: number; cells: string[] }[];
}

/** The separator the header row uses most outside quotes: comma unless semicolons outnumber commas. */
function separatorOf(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

export function readCsv(text: string): CsvTable {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  let records: string[][];
  try {
    records = parse(body, {
      delimiter: separatorOf(body),
      relax_column_count: true,
      // A spreadsheet writes =HYPERLINK("…") unquoted; the quotes are the cell's text.
      relax_quotes: true,
      // One past the limit is enough to know it is over.
      to: MAX_IMPORT_ROWS + 2,
    }) as string[][];
  } catch (err) {
    // The parser's own message quotes the file; a cell may be a secret, so only its kind and place are told.
    const { lines, code } = err as { lines?: number; code?: string };
    const what = code ? code.replace(/^CSV_/, '').toLowerCase().replace(/_/g, ' ') : 'unreadable';
    throw new InvalidInput(`the file is not CSV (${what}${lines ? ` near line ${lines}` : ''})`, 'malformed-csv');
  }
  const [header, ...data] = records;
  if (!header) throw new InvalidInput('the file is empty: it needs a header row naming its columns', 'malformed-csv');
  if (data.length > MAX_IMPORT_ROWS) throw new PayloadTooLarge(`an import may have at most ${MAX_IMPORT_ROWS} rows`, 'too-many-rows');
  // Rows a spreadsheet pads with empty cells only are not rows.
  const rows = data.map((cells, i) => ({ row: i + 2, cells })).filter((r) => r.cells.some((c) => c.trim() !== ''));
  return { header, rows };
}
