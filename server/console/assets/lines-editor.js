// A phone's lines as rows of "Line n: extension", shared by the add-device
// form and the device page. Rows are added one at a time (a phone may have
// up to 34 lines; a select per line would drown the form), each taking the
// lowest line number not shown yet, and never more rows than the phone has
// lines: its model's count from the profiles, else its vendor's most.
import { h, options } from './common.js';

/** How many lines the chosen phone has, from GET /api/profiles. */
export function lineRoom(profiles, vendor, model) {
  const p = profiles.find((x) => x.id === vendor);
  return p?.models.find((m) => m.name === model)?.lines ?? p?.maxLines ?? 1;
}

/**
 * `container`: where the rows go; `add`: the Add a line button (absent for
 * viewers); `hint`: where the line count is said; `room()`: the current
 * phone's line count; `extensions`: [{number, displayName}]; `label(n)`: the
 * accessible name of line n's select; `id(n)`: its id, if it needs one.
 */
export function linesEditor({ container, add, hint, room, extensions, label, id = () => undefined, disabled = false }) {
  const rows = () => [...container.querySelectorAll('.line')];
  const shown = () => rows().map((r) => Number(r.dataset.line));

  function row(line, extension = '') {
    const select = h('select', { id: id(line), 'data-line': line, 'aria-label': label(line), disabled });
    options(select, extensions.map((x) => [x.number, `${x.number} ${x.displayName}`]), { keep: false });
    select.prepend(h('option', { value: '' }, 'None'));
    select.value = extension;
    return h('div', { class: 'line', 'data-line': line }, h('span', {}, `Line ${line}`), select);
  }

  function place(el) {
    const after = rows().find((r) => Number(r.dataset.line) > Number(el.dataset.line));
    container.insertBefore(el, after ?? null);
  }

  /**
   * Says how many lines the phone has and whether one more fits; `trim`
   * (another vendor or model was chosen) drops the rows past its count,
   * always keeping one. Lines as stored are shown whole, even past the count.
   */
  function fit(trim = true) {
    const n = room();
    if (trim === true) for (const r of rows()) if (Number(r.dataset.line) > Math.max(1, n) && rows().length > 1) r.remove();
    if (add) add.disabled = firstFree() === null;
    if (hint) hint.textContent = n > 1 ? `This phone has ${n} lines.` : 'This phone has one line.';
  }

  function firstFree() {
    const taken = new Set(shown());
    for (let n = 1; n <= room(); n++) if (!taken.has(n)) return n;
    return null;
  }

  add?.addEventListener('click', () => {
    const n = firstFree();
    if (n === null) return;
    const el = row(n);
    place(el);
    fit(false);
    el.querySelector('select').focus();
  });

  return {
    /** Shows these lines (one empty line 1 when there are none). */
    set(lines) {
      container.replaceChildren();
      const list = lines.length ? lines : [{ line: 1, extension: '' }];
      for (const l of list) place(row(l.line, l.extension));
      fit(false);
    },
    fit: () => fit(true),
    /** The lines with an extension chosen, as the API takes them. */
    read() {
      return [...container.querySelectorAll('select')]
        .filter((s) => s.value)
        .map((s) => ({ line: Number(s.dataset.line), extension: s.value }));
    },
  };
}
