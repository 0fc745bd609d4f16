// Extensions: the list with each one's phones at a glance, the export, and
// the create form (site, SIP server or the site's registrar, SRTP, outbound
// proxy, and a chosen secret or none).
import { $, api, apiAll, flash, h, isAdmin, live, showError, start, summary } from './common.js';
import { setupExport } from './export-actions.js';
import { showMasked, watchSecret } from './secret-field.js';
import { loadSites, registrarText, siteOptions } from './site-fields.js';
import { readProxy, srtpHint } from './sip-fields.js';

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
        h('td', {}, registrarText(x.server), x.serverFromSite ? h('span', { class: 'hint' }, " · the site's") : null),
        h('td', {}, x.site),
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
  setupExport();
  // The form is wired before anything is read, so a quick submit is never the browser's own.
  if (isAdmin()) setupCreate(loadSites());
  await load();
  let pending = null;
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 300);
  };
  live({ device: soon, 'device-deleted': soon, extension: soon }, soon);
  showDeleted();
});

/** The extension page sends here after a delete, saying what went with it. */
function showDeleted() {
  const q = new URLSearchParams(location.search);
  const number = q.get('deleted');
  if (!number) return;
  const links = Number(q.get('links') ?? 0);
  flash(`Extension ${number} is deleted${links ? `, with its ${links === 1 ? 'softphone link' : `${links} softphone links`}` : ''}.`);
  history.replaceState(null, '', location.pathname);
}

/**
 * The SIP server is optional when the chosen site has a registrar: left
 * empty, the extension takes the site's and follows it. Its transport is
 * then the site's too, so the select shows that and is not asked.
 */
function siteServer(changed) {
  let sites = new Map();
  const site = () => sites.get($('#new-site').value);
  const show = () => {
    const registrar = site()?.server ?? null;
    const host = $('#new-host');
    const empty = host.value.trim() === '';
    host.required = !registrar;
    host.placeholder = registrar ? registrar.host : 'pbx.example.com';
    $('#new-transport').disabled = Boolean(registrar) && empty;
    if (registrar && empty) $('#new-transport').value = registrar.transport;
    $('#new-server-hint').textContent = registrar
      ? `Leave the SIP server empty to use site ${site().name}'s registrar ${registrarText(registrar)}; the extension then follows it when the site's changes.`
      : `Required: site ${$('#new-site').value} has no registrar of its own.`;
    changed();
  };
  $('#new-site').addEventListener('change', show);
  $('#new-host').addEventListener('input', show);
  return {
    site,
    show,
    known(all) {
      sites = all;
      siteOptions($('#new-site'), sites, 'default');
      show();
    },
  };
}

function setupCreate(sitesRead) {
  const secret = $('#new-secret');
  const checkSecret = watchSecret(secret, $('#new-secret-error'), { optional: true });
  $('#new-secret-toggle').addEventListener('click', () => showMasked(secret, $('#new-secret-toggle'), secret.type !== 'password', 'the typed secret'));
  const hint = () => ($('#new-srtp-hint').textContent = srtpHint($('#new-transport').value, $('#new-srtp').value));
  $('#new-transport').addEventListener('change', hint);
  $('#new-srtp').addEventListener('change', hint);
  const server = siteServer(hint);
  const ready = sitesRead.then(server.known).catch((err) => flash(err.message, 'error'));
  $('#create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#create-error');
    showError(error, null);
    await ready;
    if (checkSecret()) {
      secret.focus();
      return;
    }
    const site = server.site();
    const host = $('#new-host').value.trim();
    if (!host && !site?.server) {
      showError(error, { message: `Type the SIP server: site ${$('#new-site').value} has no registrar to take.` });
      $('#new-host').focus();
      return;
    }
    const body = { number: $('#new-number').value.trim(), site: $('#new-site').value };
    // Empty: the site's registrar, which the extension then follows.
    if (host) body.server = { host, transport: $('#new-transport').value };
    const name = $('#new-name').value.trim();
    if (name) body.displayName = name;
    if ($('#new-srtp').value) body.media = { srtp: $('#new-srtp').value };
    const proxy = readProxy($('#new-proxy-host').value, $('#new-proxy-port').value);
    if (proxy.problem) return showError(error, { message: proxy.problem });
    if (proxy.proxy) body.outboundProxy = proxy.proxy;
    // Empty: the server generates one. Typed: sent as it is, spaces inside and all.
    if (secret.value !== '') body.secret = secret.value;
    try {
      const created = await api('POST', '/api/extensions', body);
      location.assign(`/extensions/${encodeURIComponent(created.number)}`);
    } catch (err) {
      showError(error, err);
    }
  });
}
