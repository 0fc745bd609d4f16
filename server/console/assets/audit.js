// The audit log, newest first: filters by action prefix, target and days,
// and paging. The API filters by exact action and target only, so a prefix
// ("secret." for secret.changed and secret.revealed) and a day range are
// applied here, over the API's pages read in order until a page of matches
// is full: every match is shown once, none is skipped, and Older continues
// after the last event shown.
import { $, api, h, start, when } from './common.js';
import { ACTION_SUGGESTIONS, actionText, actorName, detailsText, loadNames, nameNode, targetName } from './audit-text.js';

const PAGE = 50;
// How many events one read brings when the page filters them itself: the API's most.
const SCAN = 1000;
// Event ids follow commit order and each event's time is taken just before
// its commit, so the two can disagree by a moment: reading stops only well
// past the range's start.
const SLACK_MS = 60_000;

/** Where each page shown so far started (the `before` id; null: the newest), for Newer. */
const starts = [];
let filter = null;

function readFilter() {
  const from = $('#a-from').value;
  const to = $('#a-to').value;
  // Days in this browser's time zone, as the admin reads the When column.
  const since = from ? new Date(`${from}T00:00:00`) : null;
  const until = to ? new Date(new Date(`${to}T00:00:00`).getTime() + 86_400_000) : null;
  if (since && until && since >= until) return { problem: 'The From day is after the To day.' };
  return {
    prefix: $('#a-action').value.trim(),
    target: $('#a-target').value.trim(),
    since: since?.toISOString() ?? null,
    stopAt: since ? new Date(since.getTime() - SLACK_MS).toISOString() : null,
    until: until?.toISOString() ?? null,
  };
}

const matches = (f, e) => (!f.prefix || e.action.startsWith(f.prefix)) && (!f.since || e.at >= f.since) && (!f.until || e.at < f.until);

/**
 * One page of matching events older than `before`, and whether any older
 * match exists: reads the API's pages in order until PAGE + 1 matches are
 * found, the log ends, or the events are older than the From day.
 */
async function collect(f, before) {
  const local = Boolean(f.prefix || f.since || f.until);
  const limit = local ? SCAN : PAGE + 1;
  const found = [];
  let cursor = before;
  let read = 0;
  for (;;) {
    const q = new URLSearchParams({ limit: String(limit) });
    if (f.target) q.set('target', f.target);
    if (cursor) q.set('before', String(cursor));
    const events = await api('GET', `/api/audit?${q}`);
    read += events.length;
    for (const e of events) {
      if (f.stopAt && e.at < f.stopAt) return { events: found, more: false };
      if (!matches(f, e)) continue;
      if (found.length === PAGE) return { events: found, more: true };
      found.push(e);
    }
    if (events.length < limit) return { events: found, more: false };
    cursor = events[events.length - 1].id;
    $('#audit-scan').textContent = `Searching: ${read} events read, ${found.length} match so far…`;
  }
}

function row(e) {
  const target = targetName(e);
  return h(
    'tr',
    { 'data-id': e.id, 'data-action': e.action },
    h('td', {}, when(e.at)),
    h('td', { class: 'actor' }, nameNode(actorName(e))),
    h('td', { class: 'what' }, h('strong', {}, actionText(e.action)), ' — ', nameNode(target), h('br'), h('code', { class: 'hint' }, e.action)),
    h('td', { class: 'details' }, detailsText(e)),
  );
}

async function show(before) {
  $('#audit-error').textContent = '';
  $('#audit-scan').textContent = '';
  const { events, more } = await collect(filter, before);
  await loadNames(events);
  $('#audit tbody').replaceChildren(...events.map(row));
  $('#audit-scan').textContent = '';
  $('#empty').hidden = events.length > 0;
  const older = $('#older');
  older.hidden = !more;
  older.dataset.before = events.length ? String(events[events.length - 1].id) : '';
  $('#newer').hidden = starts.length < 2;
  $('#newest').hidden = starts.length < 3;
}

const fail = (err) => ($('#audit-error').textContent = err.message ?? String(err));

async function first() {
  const f = readFilter();
  if (f.problem) return fail({ message: f.problem });
  filter = f;
  starts.length = 0;
  starts.push(null);
  await show(null);
}

start(async () => {
  $('#a-actions').replaceChildren(...ACTION_SUGGESTIONS.map((a) => h('option', { value: a })));
  $('#audit-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    first().catch(fail);
  });
  $('#older').addEventListener('click', () => {
    const before = Number($('#older').dataset.before);
    starts.push(before);
    show(before).catch(fail);
  });
  $('#newer').addEventListener('click', () => {
    starts.pop();
    show(starts[starts.length - 1]).catch(fail);
  });
  $('#newest').addEventListener('click', () => {
    starts.length = 1;
    show(null).catch(fail);
  });
  await first();
});
