// The audit log, newest first, with filters and paging by event id.
import { $, api, h, start, when } from './common.js';

const PAGE = 50;
const pages = [];

async function show(before) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  const action = $('#a-action').value.trim();
  const target = $('#a-target').value.trim();
  if (action) q.set('action', action);
  if (target) q.set('target', target);
  if (before) q.set('before', String(before));
  const events = await api('GET', `/api/audit?${q}`);
  $('#audit tbody').replaceChildren(
    ...events.map((e) =>
      h('tr', {}, h('td', {}, when(e.at)), h('td', {}, e.actor), h('td', {}, e.action), h('td', {}, e.target),
        h('td', { class: 'details' }, Object.keys(e.details ?? {}).length ? JSON.stringify(e.details) : '')),
    ),
  );
  $('#empty').hidden = events.length > 0;
  const older = $('#older');
  older.hidden = events.length < PAGE;
  older.dataset.before = events.length ? String(events[events.length - 1].id) : '';
  $('#newer').hidden = !before;
}

start(async () => {
  $('#audit-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    pages.length = 0;
    show().catch((err) => ($('#flash').textContent = err.message));
  });
  $('#older').addEventListener('click', () => show(Number($('#older').dataset.before)));
  $('#newer').addEventListener('click', () => show());
  await show();
});
