// One device: its state and last fetch, settings and lines, provisioning
// credentials (revealed on request, audited), files with a masked preview.
import { $, api, apiAll, badge, flash, h, isAdmin, live, notifyText, options, param, registrationBadge, showError, start, when } from './common.js';
import { lineRoom, linesEditor } from './lines-editor.js';
import { formatMac } from './mac.js';

const mac = param();
const path = `/api/devices/${encodeURIComponent(mac)}`;
let device = null;
let profiles = [];
let extensions = [];
let lines = null;

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value)];
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
  [device, profiles, extensions] = await Promise.all([api('GET', path), api('GET', '/api/profiles'), apiAll('/api/extensions')]);
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
