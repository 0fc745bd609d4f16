// The extension panel: its fields, the Extension Secret (masked until an
// audited reveal or copy), generating or typing a new one, and every phone
// and link that carries it, updated live from the event stream.
import { $, api, apiAll, badge, flash, h, isAdmin, live, notifyText, param, registrationBadge, showError, start, when } from './common.js';
import { formatMac } from './mac.js';
import { secretProblem } from './secret-rules.js';

const number = param();
const path = `/api/extensions/${encodeURIComponent(number)}`;
let ext = null;
const devices = new Map();
const links = new Map();
let revealed = null;
let typed = false;

// What each field was last filled with. A re-read (the live stream opening,
// the slow timer) refills only the fields the admin has not edited since, so
// it never wipes what is being typed; a save shows what was stored.
const filled = new Map();

function fillFields(saved = false) {
  const fill = (id, value) => {
    const el = $(id);
    if (saved || !filled.has(id) || el.value === filled.get(id)) el.value = value;
    filled.set(id, value);
  };
  fill('#f-number', ext.number);
  fill('#f-name', ext.displayName);
  fill('#f-auth', ext.authUsername);
  fill('#f-label', ext.label ?? '');
  fill('#f-host', ext.server.host);
  fill('#f-port', String(ext.server.port));
  fill('#f-transport', ext.server.transport);
  $('#f-version').value = String(ext.secretVersion);
  document.title = `Extension ${ext.number} · Provisioning console`;
  $('h1').textContent = `Extension ${ext.number}`;
}

function renderAffected() {
  const rows = [];
  for (const d of [...devices.values()].sort((a, b) => (a.mac < b.mac ? -1 : 1))) {
    const line = d.lines.find((l) => l.extension === number)?.line;
    rows.push(
      h(
        'tr',
        { 'data-mac': d.mac },
        h('td', {}, h('a', { href: `/devices/${d.mac}` }, formatMac(d.mac))),
        h('td', {}, `${d.vendor}${d.model ? ` ${d.model}` : ''}, line ${line}`),
        h('td', {}, badge(d.status)),
        h('td', {}, registrationBadge(d.lines.find((l) => l.extension === number)?.registration)),
        h('td', {}, notifyText(d)),
        h('td', {}, d.lastFetch ? when(d.lastFetch.at) : 'never'),
      ),
    );
  }
  for (const l of links.values()) {
    if (l.state === 'revoked') continue;
    rows.push(
      h(
        'tr',
        { 'data-link': l.id },
        h('td', {}, h('a', { href: '/links' }, `${l.app} link`)),
        h('td', {}, `softphone link (${l.state})`),
        h('td', {}, badge(l.status)),
        h('td', {}, '—'),
        h('td', {}, '—'),
        h('td', {}, l.lastUsedAt ? when(l.lastUsedAt) : 'never'),
      ),
    );
  }
  if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 6 }, 'No phone or link uses this extension yet.')));
  $('#affected tbody').replaceChildren(...rows);
  $('#links-summary').replaceChildren(
    ...[...links.values()].map((l) => h('li', {}, `${l.app}: ${l.state}, ${l.status}, ${l.uses} of ${l.maxUses} downloads`)),
  );
}

async function load() {
  const [one, list, linkList] = await Promise.all([
    api('GET', path),
    apiAll(`/api/devices?extension=${encodeURIComponent(number)}`),
    api('GET', `/api/links?extension=${encodeURIComponent(number)}`),
  ]);
  ext = one;
  devices.clear();
  for (const d of list) devices.set(d.mac, d);
  links.clear();
  for (const l of linkList) links.set(l.id, l);
  fillFields();
  renderAffected();
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute('aria-controls')).hidden = !on;
    }
    tab.focus();
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowRight') select(tabs[(i + 1) % tabs.length]);
      if (e.key === 'ArrowLeft') select(tabs[(i - 1 + tabs.length) % tabs.length]);
    });
  });
}

// ---- the secret ----

const secretInput = () => $('#f-secret');

function showMasked(masked) {
  const toggle = $('#secret-toggle');
  secretInput().type = masked ? 'password' : 'text';
  const name = masked ? 'Show secret' : 'Hide secret';
  toggle.setAttribute('aria-label', name);
  toggle.title = name;
  toggle.setAttribute('aria-pressed', String(!masked));
  toggle.classList.toggle('open', !masked);
}

function checkTyped() {
  const input = secretInput();
  const problem = typed ? secretProblem(input.value) : null;
  $('#secret-error').textContent = problem ? `The secret ${problem}.` : '';
  input.setAttribute('aria-invalid', String(Boolean(problem)));
  return problem;
}

function forgetSecret() {
  revealed = null;
  typed = false;
  secretInput().value = '';
  checkTyped();
  showMasked(true);
}

async function fetchSecret(purpose) {
  const r = await api('GET', `${path}/secret${purpose ? `?purpose=${purpose}` : ''}`);
  return r.secret;
}

function affectedCounts() {
  const phones = devices.size;
  const activeLinks = [...links.values()].filter((l) => l.state !== 'revoked').length;
  const p = `${phones} phone${phones === 1 ? '' : 's'}`;
  const l = `${activeLinks} softphone link${activeLinks === 1 ? '' : 's'}`;
  return { phones, activeLinks, text: `${p} and ${l}` };
}

/** Which phones are told to fetch now, and which wait for their own polling: the truth, not a promise. */
function pushSummary() {
  const all = [...devices.values()];
  const pushed = all.filter((d) => !d.push?.refusal).length;
  const waiting = all.length - pushed;
  if (all.length === 0) return 'no phone to push to.';
  if (waiting === 0) return `${pushed === 1 ? 'the phone is' : `all ${pushed} phones are`} told to fetch now.`;
  const polling = `${waiting === 1 ? 'one phone fetches' : `${waiting} phones fetch`} at ${waiting === 1 ? 'its' : 'their'} next poll (see Push).`;
  return pushed === 0 ? `push cannot reach them; ${polling}` : `${pushed} told to fetch now; ${polling}`;
}

function afterChange(result, how) {
  forgetSecret();
  ext.secretVersion = result.version;
  $('#f-version').value = String(result.version);
  for (const d of result.devices) {
    const known = devices.get(d.mac);
    if (known) devices.set(d.mac, { ...known, status: d.status });
  }
  renderAffected();
  flash(`${how} (version ${result.version}). ${affectedCounts().text} are re-provisioned: ${pushSummary()} Watch them below.`);
  // Full device records (last fetch, push state) for the rows.
  load().catch(() => {});
}

function setupSecret() {
  const input = secretInput();
  input.addEventListener('input', () => {
    typed = input.value !== '' && input.value !== revealed;
    checkTyped();
  });
  $('#secret-toggle').addEventListener('click', async () => {
    const masked = input.type === 'password';
    if (!masked) return showMasked(true);
    try {
      if (!typed && revealed === null) {
        revealed = await fetchSecret();
        input.value = revealed;
      }
      showMasked(false);
    } catch (err) {
      flash(err.message, 'error');
    }
  });
  $('#secret-copy').addEventListener('click', async () => {
    try {
      const value = typed ? input.value : await fetchSecret('copy');
      await navigator.clipboard.writeText(value);
      flash(typed ? 'The typed secret was copied (it is not saved yet).' : 'Secret copied to the clipboard.');
    } catch (err) {
      flash(err.message ?? 'The clipboard cannot be written here.', 'error');
    }
  });
  const dialog = $('#confirm-generate');
  $('#secret-generate').addEventListener('click', () => {
    $('#confirm-text').textContent = `A new random secret replaces the current one. ${affectedCounts().text} will be re-provisioned with it.`;
    dialog.showModal();
  });
  $('#confirm-no').addEventListener('click', () => dialog.close());
  $('#confirm-yes').addEventListener('click', async () => {
    dialog.close();
    try {
      afterChange(await api('POST', `${path}/secret/generate`), 'New secret generated');
    } catch (err) {
      flash(err.message, 'error');
    }
  });
}

function fieldPatch() {
  const patch = {};
  const name = $('#f-name').value.trim();
  if (name !== ext.displayName) patch.displayName = name;
  const auth = $('#f-auth').value.trim();
  if (auth !== ext.authUsername) patch.authUsername = auth;
  const label = $('#f-label').value.trim() || null;
  if (label !== ext.label) patch.label = label;
  const server = {};
  const host = $('#f-host').value.trim();
  if (host !== ext.server.host) server.host = host;
  const port = Number($('#f-port').value.trim());
  if (port !== ext.server.port) server.port = port;
  const transport = $('#f-transport').value;
  if (transport !== ext.server.transport) server.transport = transport;
  if (Object.keys(server).length) patch.server = server;
  return patch;
}

function setupSave() {
  $('#extension-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#form-error');
    showError(error, null);
    if (checkTyped()) {
      secretInput().focus();
      return;
    }
    const patch = fieldPatch();
    try {
      if (Object.keys(patch).length) {
        ext = { ...ext, ...(await api('PATCH', path, patch)) };
        fillFields(true);
      }
      if (typed) {
        afterChange(await api('PUT', `${path}/secret`, { secret: secretInput().value }), 'Secret saved');
      } else if (Object.keys(patch).length) {
        flash('Saved. Phones on this extension are re-provisioned.');
        await load();
      } else {
        flash('Nothing to save.');
      }
    } catch (err) {
      showError(error, err);
    }
  });
}

start(async () => {
  setupTabs();
  await load();
  if (isAdmin()) {
    setupSecret();
    setupSave();
  }
  live(
    {
      device(d) {
        if (d.lines.some((l) => l.extension === number)) devices.set(d.mac, d);
        else devices.delete(d.mac);
        renderAffected();
      },
      'device-deleted'({ mac }) {
        devices.delete(mac);
        renderAffected();
      },
      notify({ mac, notify }) {
        const d = devices.get(mac);
        if (d) {
          devices.set(mac, { ...d, notify });
          renderAffected();
        }
      },
      registration({ mac, extension, registration }) {
        const d = devices.get(mac);
        if (!d || extension !== number) return;
        devices.set(mac, { ...d, lines: d.lines.map((l) => (l.extension === extension ? { ...l, registration } : l)) });
        renderAffected();
      },
      link(l) {
        if (l.extension !== number) return;
        links.set(l.id, l);
        renderAffected();
      },
      extension(x) {
        if (x.number !== number || !ext || x.secretVersion === ext.secretVersion) return;
        // Changed by someone else: what is shown or typed is no longer the secret.
        ext.secretVersion = x.secretVersion;
        $('#f-version').value = String(x.secretVersion);
        if (isAdmin() && !typed) forgetSecret();
      },
    },
    () => load().catch(() => {}),
  );
});
