// Devices: the list with filters and a MAC search in any notation, the inbox
// of detected phones with Assign, and adding a device.
import { $, api, apiAll, badge, flash, h, isAdmin, live, notifyText, options, registrationBadge, showError, start, when } from './common.js';
import { lineRoom, linesEditor } from './lines-editor.js';
import { formatMac, macQuery, normalizeMac } from './mac.js';
import { showServerCard } from './server-card.js';

let devices = new Map();
let profiles = [];
let extensions = [];

function matches(d) {
  const q = macQuery($('#search').value);
  const status = $('#filter-status').value;
  const vendor = $('#filter-vendor').value;
  const registration = $('#filter-registration').value;
  const registered = !registration || d.lines.some((l) => (l.registration?.state ?? 'unknown') === registration);
  return (!q || d.mac.includes(q)) && (!status || d.status === status) && (!vendor || d.vendor === vendor) && registered;
}

/** A vendor as its maker writes it ("Grandstream", "Snom"), from its profile. */
const vendorName = (id) => profiles.find((p) => p.id === id)?.name ?? id;
const kind = (d) => `${vendorName(d.vendor)}${d.model ? ` ${d.model}` : ''}`;

function render() {
  const all = [...devices.values()].sort((a, b) => (a.mac < b.mac ? -1 : 1));
  const rows = all.filter(matches).map((d) =>
    h(
      'tr',
      { 'data-mac': d.mac },
      h('td', {}, h('a', { href: `/devices/${d.mac}` }, formatMac(d.mac))),
      h('td', {}, kind(d)),
      h('td', {}, d.lines.map((l) => `${l.line}: ${l.extension}`).join(', ') || '—'),
      h('td', {}, badge(d.status)),
      h('td', {}, d.lines.length ? d.lines.flatMap((l) => [d.lines.length > 1 ? `${l.line}: ` : '', registrationBadge(l.registration), ' ']) : '—'),
      h('td', {}, notifyText(d)),
      h('td', {}, d.lastFetch ? when(d.lastFetch.at) : 'never'),
    ),
  );
  $('#devices tbody').replaceChildren(...rows);
  $('#empty').hidden = rows.length > 0;
  const waiting = all.filter((d) => d.status === 'unassigned').sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  $('#inbox-empty').hidden = waiting.length > 0;
  $('#inbox').replaceChildren(
    ...waiting.map((d) =>
      h(
        'li',
        { 'data-mac': d.mac },
        h('span', {}, h('a', { href: `/devices/${d.mac}` }, formatMac(d.mac)), ` ${kind(d)}`,
          d.lastSeen ? h('span', { class: 'hint' }, ` · seen `, when(d.lastSeen.at), ` from ${d.lastSeen.ip}`) : null),
        isAdmin() ? h('button', { type: 'button', 'aria-label': `Assign ${formatMac(d.mac)}`, onclick: () => assign(d) }, 'Assign') : null,
      ),
    ),
  );
}

async function load() {
  const list = await apiAll('/api/devices');
  devices = new Map(list.map((d) => [d.mac, d]));
  render();
}

function assign(device) {
  const dialog = $('#assign-dialog');
  $('#assign-what').textContent = `${formatMac(device.mac)} (${kind(device)})`;
  options($('#assign-extension'), extensions.map((x) => [x.number, `${x.number} ${x.displayName}`]), { keep: false });
  showError($('#assign-error'), null);
  dialog.dataset.mac = device.mac;
  dialog.showModal();
}

function setupForms() {
  const dialog = $('#assign-dialog');
  $('#assign-no').addEventListener('click', () => dialog.close());
  $('#assign-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const mac = dialog.dataset.mac;
    try {
      const d = await api('PATCH', `/api/devices/${mac}`, { lines: [{ line: 1, extension: $('#assign-extension').value }] });
      devices.set(d.mac, d);
      dialog.close();
      render();
      flash(`${formatMac(mac)} is assigned to ${d.lines[0].extension}; it gets its file at its next fetch.`);
    } catch (err) {
      showError($('#assign-error'), err);
    }
  });

  const vendorSelect = $('#d-vendor');
  const desk = profiles.filter((p) => p.kind === 'desk-phone');
  options(vendorSelect, desk.map((p) => [p.id, p.name]), { keep: false });
  const lines = linesEditor({
    container: $('#d-lines'),
    add: $('#d-add-line'),
    hint: $('#d-lines-hint'),
    room: () => lineRoom(profiles, vendorSelect.value, $('#d-model').value),
    extensions,
    label: (n) => `Line ${n} extension`,
    id: (n) => `d-line${n}`,
  });
  const fillModels = () => {
    const p = desk.find((x) => x.id === vendorSelect.value);
    options($('#d-model'), (p?.models ?? []).map((m) => [m.name, `${m.name} (${m.lines} ${m.lines === 1 ? 'line' : 'lines'})`]));
    lines.fit();
  };
  vendorSelect.addEventListener('change', fillModels);
  $('#d-model').addEventListener('change', lines.fit);
  lines.set([]);
  fillModels();

  $('#device-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#device-error');
    showError(error, null);
    const mac = normalizeMac($('#d-mac').value.trim());
    if (!mac) {
      showError(error, { message: 'The MAC address must be 12 hex digits, e.g. 80:5E:C0:12:34:56 or 805ec0123456.' });
      $('#d-mac').focus();
      return;
    }
    const body = { mac, vendor: vendorSelect.value };
    if ($('#d-model').value) body.model = $('#d-model').value;
    if ($('#d-label').value.trim()) body.label = $('#d-label').value.trim();
    const chosen = lines.read();
    if (chosen.length) body.lines = chosen;
    try {
      const d = await api('POST', '/api/devices', body);
      devices.set(d.mac, d);
      render();
      e.target.reset();
      fillModels();
      lines.set([]);
      flash(`${formatMac(d.mac)} added.`);
    } catch (err) {
      showError(error, err);
    }
  });
}

start(async () => {
  const [list, p, x] = await Promise.all([apiAll('/api/devices'), api('GET', '/api/profiles'), apiAll('/api/extensions')]);
  devices = new Map(list.map((d) => [d.mac, d]));
  profiles = p;
  extensions = x;
  options($('#filter-vendor'), profiles.filter((v) => v.kind === 'desk-phone').map((v) => [v.id, v.name]));
  for (const id of ['#search', '#filter-status', '#filter-vendor', '#filter-registration']) $(id).addEventListener('input', render);
  render();
  await showServerCard();
  if (isAdmin()) setupForms();
  live(
    {
      device(d) {
        devices.set(d.mac, d);
        render();
      },
      'device-deleted'({ mac }) {
        devices.delete(mac);
        render();
      },
      notify({ mac, notify }) {
        const d = devices.get(mac);
        if (d) devices.set(mac, { ...d, notify });
        render();
      },
    },
    () => load().catch(() => {}),
  );
});
