import { $, api, apiAll, h, isAdmin, live, showError, start, summary } from './common.js';

let extensions = [];
const devicesByExtension = new Map();

function render() {
  const q = $('#search').value.trim().toLowerCase();
  const rows = extensions
    .filter((x) => !q || [x.number, x.displayName, x.label ?? ''].some((v) => v.toLowerCase().includes(q)))
    .map((x) => {
      const devices = devicesByExtension.get(x.number) ?? [];
      return h(
        'tr',
        {},
        h('td', {}, h('a', { href: `/extensions/${encodeURIComponent(x.number)}` }, x.number)),
        h('td', {}, x.displayName, x.label ? h('span', { class: 'hint' }, ` · ${x.label}`) : null),
        h('td', {}, `${x.server.host}:${x.server.port} (${x.server.transport.toUpperCase()})`),
        h('td', { 'data-summary': x.number }, summary(devices)),
      );
    });
  $('#extensions tbody').replaceChildren(...rows);
  $('#empty').hidden = rows.length > 0;
}

async function load() {
  const [list, devices] = await Promise.all([apiAll('/api/extensions'), apiAll('/api/devices')]);
  extensions = list;
  devicesByExtension.clear();
  for (const d of devices) {
    for (const l of d.lines) {
      if (!devicesByExtension.has(l.extension)) devicesByExtension.set(l.extension, []);
      devicesByExtension.get(l.extension).push(d);
    }
  }
  render();
}

start(async () => {
  $('#search').addEventListener('input', render);
  await load();
  let pending = null;
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 300);
  };
  live({ device: soon, 'device-deleted': soon, extension: soon }, soon);
  if (!isAdmin()) return;
  $('#create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#create-error');
    showError(error, null);
    const body = { number: $('#new-number').value.trim(), server: { host: $('#new-host').value.trim(), transport: $('#new-transport').value } };
    const name = $('#new-name').value.trim();
    if (name) body.displayName = name;
    try {
      const created = await api('POST', '/api/extensions', body);
      location.assign(`/extensions/${encodeURIComponent(created.number)}`);
    } catch (err) {
      showError(error, err);
    }
  });
});
