// The extension panel: its fields (site and SIP server in extension-server.js,
// SRTP, outbound proxy), the Extension Secret (extension-secret.js), deleting
// it (extension-delete.js), its softphone links, and every phone and link
// that carries its secret, updated live from the event stream.
import { $, api, apiAll, badge, flash, h, isAdmin, live, notifyText, param, registrationBadge, showError, start, when } from './common.js';
import { setupDelete } from './extension-delete.js';
import { setupSecret } from './extension-secret.js';
import { serverFields } from './extension-server.js';
import { setupLinkForm } from './link-form.js';
import { followLinks } from './live-links.js';
import { formatMac } from './mac.js';
import { loadSites } from './site-fields.js';
import { readProxy, srtpHint, WARNING_TEXT } from './sip-fields.js';

const number = param();
const path = `/api/extensions/${encodeURIComponent(number)}`;
let ext = null;
const devices = new Map();
const links = new Map();
let secret = null;
const server = serverFields({ ext: () => ext, admin: isAdmin(), changed: () => showSrtpHint() });

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
  server.fill(fill);
  fill('#f-srtp', ext.media?.explicit ? ext.media.srtp : '');
  fill('#f-proxy-host', ext.outboundProxy?.host ?? '');
  fill('#f-proxy-port', ext.outboundProxy ? String(ext.outboundProxy.port) : '');
  $('#f-version').value = String(ext.secretVersion);
  showSrtpHint();
  const warnings = ext.warnings ?? [];
  $('#ext-warnings').replaceChildren(...warnings.map((w) => h('p', {}, WARNING_TEXT[w] ?? w)));
  $('#ext-warnings').hidden = warnings.length === 0;
  document.title = `Extension ${ext.number} · Provisioning console`;
  $('h1').textContent = `Extension ${ext.number}`;
}

function showSrtpHint() {
  $('#f-srtp-hint').textContent = srtpHint($('#f-transport').value, $('#f-srtp').value);
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
        h('td', {}, h('a', { href: `/links#link-${l.id}` }, `${l.app} link`)),
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
    ...[...links.values()].map((l) =>
      h('li', { 'data-link': l.id }, `${l.app}: ${l.state}, ${l.status}, ${l.uses} of ${l.maxUses} downloads`,
        isAdmin() && l.state !== 'revoked'
          ? [' ', h('button', { type: 'button', 'aria-label': `Revoke the ${l.app} link made ${new Date(l.createdAt).toLocaleString()}`, onclick: () => revoke(l) }, 'Revoke')]
          : null)),
  );
  if (links.size === 0) $('#links-summary').replaceChildren(h('li', {}, 'No links yet.'));
}

async function revoke(link) {
  try {
    await api('DELETE', `/api/links/${link.id}`);
    await loadLinks();
    flash(`The ${link.app} link is revoked.`);
  } catch (err) {
    flash(err.message, 'error');
  }
}

async function loadLinks() {
  const list = await api('GET', `/api/links?extension=${encodeURIComponent(number)}`);
  links.clear();
  for (const l of list) links.set(l.id, l);
  renderAffected();
}

async function load() {
  const [one, list, linkList, sites] = await Promise.all([
    api('GET', path),
    apiAll(`/api/devices?extension=${encodeURIComponent(number)}`),
    api('GET', `/api/links?extension=${encodeURIComponent(number)}`),
    loadSites(),
  ]);
  ext = one;
  server.setSites(sites);
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

function affectedText() {
  const phones = devices.size;
  const activeLinks = [...links.values()].filter((l) => l.state !== 'revoked').length;
  return `${phones} phone${phones === 1 ? '' : 's'} and ${activeLinks} softphone link${activeLinks === 1 ? '' : 's'}`;
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

/** After a secret change of ours: the new version, the phones it made pending, and what happens next. */
function changed(result, how) {
  ext.secretVersion = result.version;
  $('#f-version').value = String(result.version);
  for (const d of result.devices) {
    const known = devices.get(d.mac);
    if (known) devices.set(d.mac, { ...known, status: d.status });
  }
  renderAffected();
  flash(`${how} (version ${result.version}). ${affectedText()} are re-provisioned: ${pushSummary()} Watch them below.`);
  // Full device records (last fetch, push state) for the rows.
  load().catch(() => {});
}

/** The non-secret fields that differ from what was stored, as PATCH takes them; {problem} when one cannot be sent. */
function fieldPatch() {
  const patch = {};
  const name = $('#f-name').value.trim();
  if (name !== ext.displayName) patch.displayName = name;
  const auth = $('#f-auth').value.trim();
  if (auth !== ext.authUsername) patch.authUsername = auth;
  const label = $('#f-label').value.trim() || null;
  if (label !== ext.label) patch.label = label;
  const where = server.patch();
  if (where.problem) return where;
  Object.assign(patch, where.patch);
  const srtp = $('#f-srtp').value || null;
  if (srtp !== (ext.media?.explicit ? ext.media.srtp : null)) patch.media = { srtp };
  const proxyHost = $('#f-proxy-host').value;
  const proxyPort = $('#f-proxy-port').value;
  if (proxyHost.trim() !== (ext.outboundProxy?.host ?? '') || proxyPort.trim() !== (ext.outboundProxy ? String(ext.outboundProxy.port) : '')) {
    const proxy = readProxy(proxyHost, proxyPort);
    if (proxy.problem) return { problem: proxy.problem };
    patch.outboundProxy = proxy.proxy;
  }
  return { patch };
}

function setupSave() {
  $('#extension-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#form-error');
    showError(error, null);
    if (secret.problem()) {
      secret.focus();
      return;
    }
    const { patch, problem, field } = fieldPatch();
    if (problem) {
      showError(error, { message: problem });
      if (field) $(field).focus();
      return;
    }
    const fields = Object.keys(patch).length > 0;
    if (secret.typed() && !(await secret.confirmSave())) return;
    try {
      if (fields) {
        ext = { ...ext, ...(await api('PATCH', path, patch)) };
        fillFields(true);
      }
      if (secret.typed()) {
        await secret.save();
      } else if (fields) {
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
  $('#f-transport').addEventListener('change', showSrtpHint);
  $('#f-srtp').addEventListener('change', showSrtpHint);
  if (isAdmin()) {
    const panel = { path, number, ext: () => ext, devices, links, affectedText, changed };
    secret = setupSecret(panel);
    setupSave();
    setupDelete(panel);
    await setupLinkForm({ extension: number, made: loadLinks });
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
      link: followLinks(links, loadLinks, renderAffected, (l) => l.extension === number),
      extension(x) {
        if (x.number !== number || !ext || x.secretVersion === ext.secretVersion) return;
        // Changed by someone else: what is shown or typed is no longer the secret.
        ext.secretVersion = x.secretVersion;
        $('#f-version').value = String(x.secretVersion);
        if (secret) secret.versionChanged(x.secretVersion);
      },
    },
    () => load().catch(() => {}),
  );
});
