// The import's CSV as the browser reads it, to show the admin their own rows
// beside the server's verdict. It follows the server's reader (csv-read.ts):
// a byte order mark is dropped, the header row's most frequent separator
// (comma or semicolon) is the file's, a quote opens a cell only at its start,
// and rows are numbered as a spreadsheet shows them, the header being row 1.
// The server stays the judge: this only places its errors.

/** The import's columns in the export's order (server/provisioning/bulk/csv-cells.ts). */
export const COLUMNS = [
  'extension', 'name', 'authUsername', 'secret', 'server', 'transport', 'site', 'mac',
  'vendor', 'model', 'line', 'label', 'extensionLabel', 'outboundProxy', 'srtp', 'deviceSite',
];

const byLowerName = new Map(COLUMNS.map((c) => [c.toLowerCase(), c]));

/** A header cell's column whatever its case and spaces, or null. */
export const columnOf = (name) => byLowerName.get(String(name).trim().toLowerCase()) ?? null;

/** A template: the header row alone, with a byte order mark so spreadsheets open it as UTF-8. */
export const templateCsv = () => `\ufeff${COLUMNS.join(',')}\r\n`;

function separatorOf(text) {
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

function records(text, sep) {
  const out = [];
  let record = [];
  let cell = '';
  let quoted = false;
  let fresh = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch !== '"') cell += ch;
      else if (text[i + 1] === '"') {
        cell += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"' && fresh) {
      quoted = true;
      fresh = false;
    } else if (ch === sep) {
      record.push(cell);
      cell = '';
      fresh = true;
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(cell);
      out.push(record);
      record = [];
      cell = '';
      fresh = true;
    } else {
      cell += ch;
      fresh = false;
    }
  }
  if (!fresh || cell !== '' || record.length) out.push([...record, cell]);
  return out;
}

/** {header, rows: [{row, cells}]}; rows of empty cells only are left out, as the server leaves them. */
export function readCsv(text) {
  const body = text.startsWith('\ufeff') ? text.slice(1) : text;
  const [header = [], ...data] = records(body, separatorOf(body));
  const rows = data.map((cells, i) => ({ row: i + 2, cells })).filter((r) => r.cells.some((c) => c.trim() !== ''));
  return { header, rows };
}

/**
 * The rows worth showing: all of a small file; of a large one, the rows with
 * errors and a neighbour each side (at most `max` of them), or its first
 * rows when it has none. Skipped stretches come back as {gap: count}.
 */
export function rowsToShow(rows, errorRows, { all = 100, first = 20, max = 300 } = {}) {
  if (rows.length <= all) return rows;
  if (errorRows.size === 0) return [...rows.slice(0, first), { gap: rows.length - first }];
  const keep = new Set();
  rows.forEach((r, i) => {
    if (!errorRows.has(r.row) || keep.size >= max) return;
    for (const j of [i - 1, i, i + 1]) if (j >= 0 && j < rows.length) keep.add(j);
  });
  const out = [];
  let last = -1;
  for (const i of [...keep].sort((a, b) => a - b)) {
    if (i > last + 1) out.push({ gap: i - last - 1 });
    out.push(rows[i]);
    last = i;
  }
  if (last < rows.length - 1) out.push({ gap: rows.length - 1 - last });
  return out;
}
