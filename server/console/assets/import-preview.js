// What the Import page shows of a checked file: the counts, the problems as
// a table, and the file's own rows with each problem marked on its row and
// column. Of a large file only the rows with problems and their neighbours
// are drawn: a page of 20,000 rows helps nobody and stalls the browser.
import { $, h } from './common.js';
import { columnOf, rowsToShow } from './csv-text.js';

const KINDS = [['extensions', 'Extensions'], ['devices', 'Devices']];
const COUNTS = ['created', 'updated', 'unchanged'];

export function showCounts(result) {
  $('#counts tbody').replaceChildren(
    ...KINDS.map(([key, name]) =>
      h('tr', { 'data-kind': key }, h('th', { scope: 'row' }, name), ...COUNTS.map((c) => h('td', { 'data-count': c }, String(result[key][c]))))),
  );
}

/** "200 extensions created, 150 devices created", leaving out what is zero. */
export function countsText(result) {
  const parts = [];
  for (const [key, name] of KINDS) {
    for (const c of COUNTS.slice(0, 2)) {
      const n = result[key][c];
      if (n) parts.push(`${n} ${n === 1 ? name.toLowerCase().slice(0, -1) : name.toLowerCase()} ${c}`);
    }
  }
  return parts.length ? parts.join(', ') : 'nothing to change';
}

/** The header index each problem belongs to; -1 for a problem of the whole row. */
function placeOf(header, column) {
  if (column === null || column === undefined) return -1;
  const lower = String(column).trim().toLowerCase();
  const exact = header.findIndex((name) => name.trim().toLowerCase() === lower);
  return exact >= 0 ? exact : header.findIndex((name) => columnOf(name) !== null && columnOf(name) === columnOf(column));
}

const problemMark = (errors) =>
  h('span', { class: 'problem', title: errors.map((e) => e.message).join('; ') }, h('span', { class: 'sr-only' }, 'problem: '), errors.map((e) => e.code).join(', '));

export function showErrors(result, shownRows) {
  const box = $('#errors-box');
  box.hidden = result.errors.length === 0;
  $('#errors tbody').replaceChildren(
    ...result.errors.map((e) =>
      h('tr', { 'data-row': e.row, 'data-column': e.column ?? '' },
        h('td', {}, shownRows.has(e.row) ? h('a', { href: `#row-${e.row}` }, String(e.row)) : String(e.row)),
        h('td', {}, e.column ?? '(whole row)'),
        h('td', {}, h('code', {}, e.code)),
        h('td', {}, e.message))),
  );
  const more = $('#more-errors');
  more.hidden = !result.moreErrors;
  more.textContent = result.moreErrors ? `And ${result.moreErrors} more problems: fix these and check the file again to see them.` : '';
}

/**
 * Draws the rows table from the file as the browser read it (`table`) and
 * the server's problems; returns the set of row numbers drawn.
 */
export function showRows(table, result) {
  const box = $('#rows-box');
  if (!table || table.header.length === 0) {
    box.hidden = true;
    return new Set();
  }
  const byRow = new Map();
  for (const e of result.errors) {
    const place = placeOf(table.header, e.column);
    const key = `${e.row}:${place}`;
    byRow.set(key, [...(byRow.get(key) ?? []), e]);
  }
  const problems = (row, place) => byRow.get(`${row}:${place}`) ?? [];
  const width = Math.max(table.header.length, ...table.rows.map((r) => r.cells.length));
  const names = Array.from({ length: width }, (_, i) => table.header[i]?.trim() || `(column ${i + 1})`);
  const secret = table.header.findIndex((name) => columnOf(name) === 'secret');

  const header = problems(1, -1);
  $('#rows thead').replaceChildren(
    h('tr', { 'data-row': 1 },
      h('th', { scope: 'col', class: header.length ? 'bad' : null }, 'Row', header.length ? [' ', problemMark(header)] : null),
      ...names.map((name, i) => {
        const bad = problems(1, i);
        return h('th', { scope: 'col', class: bad.length ? 'bad' : null, 'data-column': name }, name, bad.length ? [' ', problemMark(bad)] : null);
      })),
  );
  const errorRows = new Set(result.errors.map((e) => e.row));
  const shown = rowsToShow(table.rows, errorRows);
  const drawn = new Set();
  $('#rows tbody').replaceChildren(
    ...shown.map((r) => {
      if (r.gap) return h('tr', { class: 'gap' }, h('td', { colspan: width + 1 }, `… ${r.gap} ${r.gap === 1 ? 'row' : 'rows'} without problems …`));
      drawn.add(r.row);
      const whole = problems(r.row, -1);
      return h('tr', { id: `row-${r.row}`, 'data-row': r.row, class: errorRows.has(r.row) ? 'has-problem' : null },
        h('th', { scope: 'row', class: whole.length ? 'bad' : null, 'data-label': 'Row' }, String(r.row), whole.length ? [' ', problemMark(whole)] : null),
        ...names.map((name, i) => {
          const bad = problems(r.row, i);
          const text = r.cells[i] ?? '';
          // The admin's own file, but a secret on a screen is still one shoulder away from leaking.
          const value = i === secret && text !== '' ? '••••••••' : text;
          return h('td', { class: bad.length ? 'bad' : null, 'data-column': name, 'data-label': name }, value, bad.length ? [' ', problemMark(bad)] : null);
        }));
    }),
  );
  const count = table.rows.length;
  $('#rows-hint').textContent =
    drawn.size === count
      ? `All ${count} ${count === 1 ? 'row' : 'rows'} of the file, the header being row 1. Secrets are masked.`
      : errorRows.size
        ? `The rows with problems and their neighbours, of ${count} rows (the header is row 1). Secrets are masked.`
        : `The first ${drawn.size} of ${count} rows (the header is row 1). Secrets are masked.`;
  box.hidden = false;
  return drawn;
}
