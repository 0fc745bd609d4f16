// One device: its state and last fetch, settings, site and lines,
// provisioning credentials (revealed on request, audited), files with a
// masked preview.
import { $, api, apiAll, badge, flash, h, isAdmin, live, notifyText, options, param, registrationBadge, showError, start, when } from './common.js';
import { lineRoom, linesEditor } from './lines-editor.js';
import { formatMac } from './mac.js';
import { loadSites, siteOptions } from './site-fields.js';

const mac = param();
const path = `/api/devices/${encodeURIComponent(mac)}`;
let device = null;
let profiles = [];
let extensions = [];
let sites = new Map();
let lines = null;

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
}

/**
 * Where the device is: the site it was placed in, else its line 1
 * extension's (domain/site.ts deviceSite), else the default one.
 */
function siteOf(d) {
  const first = [...d.lines].sort((a, b) => a.line - b.line)[0];
  const ext = first && extensions.find((x) => x.number === first.extension);
  if (d.site) return { name: d.site, text: `${d.site} (placed in it)` };
  if (ext) return { name: ext.site, text: `${ext.site}, following extension ${ext.number}'s site`, follows: ext };
  return { name: 'default', text: 'default (no line to follow a site from)' };
}

function renderSite() {
  const follow = siteOf({ ...device, site: null }).follows;
  const select = $('#e-site');
  select.replaceChildren();
  siteOptions(select, sites);
  select.prepend(h('option', { value: '' }, follow ? `Follow extension ${follow.number}'s site (${follow.site})` : 'Follow its line 1 extension (none yet: default)'));
  select.value = device.site ?? '';
  const where = siteOf(device);
  $('#e-site-hint').textContent = device.site
    ? `Placed in site ${device.site}: its clock, NTP, language and polling are that site's.${isAdmin() ? ' Choose “Follow” to put it back in its extension’s site.' : ''}`
    : `In site ${where.name}: ${where.follows ? `it follows extension ${where.follows.number}'s site` : 'it has no line whose site it could follow'}.`;
}

function renderState() {
  const f = device.lastFetch;
  $('h1').textContent = `Device ${formatMac(device.mac)}`;
  document.title = `Device ${formatMac(device.mac)} · Provisioning console`;
  $('#state').replaceChildren(
    ...fact('Status', badge(device.status)),
    ...fact('Config version', `${device.configVersion} (fetched: ${device.fetchedVersion ?? 'none'})`),
    ...fact('Last fetch', f ? when(f.at) : 'never'),
    ...fact('From', f ? f.ip : '—'),
    ...fact('User-Agent', f ? f.userAgent : '—'),
    ...(device.lastSeen
      ? fact('Last seen without proof', h('span', {}, when(device.lastSeen.at), ` from ${device.lastSeen.ip} (${device.lastSeen.userAgent})`))
      : []),
    ...fact('Site', siteOf(device).text),
    ...fact('Firmware', device.firmware ?? '—'),
    ...fact('Claim window', device.claimUntil ? h('span', {}, 'open until ', when(device.claimUntil)) : 'closed'),
    ...fact('Push', notifyText(device)),
    ...fact('Registration', device.lines.length
      ? h('span', {}, ...device.lines.map((l) => h('span', {}, `line ${l.line} (${l.extension}): `, registrationBadge(l.registration), ' ')))
      : '—'),
  );
  const sync = $('#sync');
  if (sync) {
    // Offered only when it can work, with the reason when it cannot.
    const reason = device.push?.refusal ?? null;
    sync.disabled = reason !== null;
    sync.title = reason ?? '';
    const why = $('#sync-why');
    if (why) why.textContent = reason ? `Sync now is not available: ${reason}.` : '';
  }
}

function renderSettings() {
  const vendor = $('#e-vendor');
  options(vendor, profiles.filter((p) => p.kind === 'desk-phone').map((p) => [p.id, p.name]), { keep: false });
  vendor.value = device.vendor;
  fillModels();
  $('#e-model').value = device.model ?? '';
  $('#e-label').value = device.label ?? '';
  lines.set(device.lines);
  renderSite();
}

function fillModels() {
  const p = profiles.find((x) => x.id === $('#e-vendor').value);
  options($('#e-model'), (p?.models ?? []).map((m) => [m.name, `${m.name} (${m.lines} lines)`]));
}

async function renderFiles() {
  const files = await api('GET', `${path}/files`);
  $('#files tbody').replaceChildren(
    ...files.map((f) =>
      h(
        'tr',
        {},
        h('td', {}, f.file),
        h('td', {}, String(f.version)),
        h('td', {}, when(f.renderedAt)),
        isAdmin() ? h('td', {}, h('button', { type: 'button', 'aria-label': `Preview ${f.file}`, onclick: () => preview(f.file, true) }, 'Preview')) : null,
      ),
    ),
  );
}

async function preview(file, masked) {
  try {
    const res = await fetch(`${path}/files/${encodeURIComponent(file)}${masked ? '?masked=true' : ''}`, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`the preview failed (${res.status})`);
    $('#preview-box').hidden = false;
    $('#preview-title').textContent = `${file}${masked ? ' (secrets masked)' : ' (with secrets; this view was audited)'}`;
    $('#preview').textContent = await res.text();
    const reveal = $('#preview-reveal');
    reveal.hidden = !masked;
    reveal.onclick = () => preview(file, false);
  } catch (err) {
    flash(err.message, 'error');
  }
}

function setupAdmin() {
  $('#e-vendor').addEventListener('change', () => {
    fillModels();
    lines.fit();
  });
  $('#e-model').addEventListener('change', lines.fit);
  $('#edit-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#edit-error');
    showError(error, null);
    const body = { vendor: $('#e-vendor').value, model: $('#e-model').value || null, label: $('#e-label').value.trim() || null, lines: lines.read() };
    // null: back to following its line 1 extension's site. Sent only when changed, so a save changes no placement by accident.
    const site = $('#e-site').value || null;
    if (site !== device.site) body.site = site;
    try {
      device = await api('PATCH', path, body);
      renderState();
      renderSettings();
      await renderFiles();
      flash('Device saved.');
    } catch (err) {
      showError(error, err);
    }
  });
  $('#delete-device').addEventListener('click', async () => {
    if (!confirm(`Delete ${formatMac(mac)}? It will no longer get a config.`)) return;
    try {
      await api('DELETE', path);
      location.assign('/devices');
    } catch (err) {
      showError($('#edit-error'), err);
    }
  });
  $('#reveal-credentials').addEventListener('click', async () => {
    try {
      const c = await api('GET', `${path}/credentials`);
      $('#cred-user').textContent = c.user;
      $('#cred-password').textContent = c.password;
    } catch (err) {
      flash(err.message, 'error');
    }
  });
  $('#claim').addEventListener('click', async () => {
    try {
      device = await api('POST', `${path}/claim`);
      renderState();
      flash('The claim window is open: the phone may fetch once without credentials.');
    } catch (err) {
      flash(err.message, 'error');
    }
  });
  $('#sync').addEventListener('click', async () => {
    try {
      await api('POST', `${path}/sync`);
      flash('Check-sync queued.');
    } catch (err) {
      flash(err.message, 'error');
    }
  });
}

async function load() {
  device = await api('GET', path);
  renderState();
}

start(async () => {
  [device, profiles, extensions, sites] = await Promise.all([api('GET', path), api('GET', '/api/profiles'), apiAll('/api/extensions'), loadSites()]);
  lines = linesEditor({
    container: $('#lines'),
    add: $('#add-line'),
    hint: $('#lines-hint'),
    room: () => lineRoom(profiles, $('#e-vendor').value, $('#e-model').value),
    extensions,
    label: (n) => `Extension for line ${n}`,
    disabled: !isAdmin(),
  });
  renderState();
  renderSettings();
  await renderFiles();
  if (isAdmin()) setupAdmin();
  live(
    {
      device(d) {
        if (d.mac !== mac) return;
        device = d;
        renderState();
      },
      notify(n) {
        if (n.mac !== mac) return;
        device = { ...device, notify: n.notify };
        renderState();
      },
    },
    () => load().catch(() => {}),
  );
});
