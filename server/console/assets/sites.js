// Sites: every site with what its phones share and how much is in it; for
// admins, a form to create or edit one and deleting one, which the server
// refuses while anything is in it (409 site-in-use), said in the dialog.
import { $, api, flash, h, isAdmin, live, showError, start } from './common.js';
import { LANGUAGES, setupSiteForm } from './site-form.js';
import { registrarText } from './site-fields.js';

let sites = [];
let edit = () => {};

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function row(s) {
  const name = s.name;
  return h('tr', { 'data-site': name },
    h('td', {}, name, name === 'default' ? h('span', { class: 'hint' }, ' (default)') : null),
    h('td', {}, s.timeZone),
    h('td', {}, s.ntpServer ?? "phones' own"),
    h('td', {}, s.language ? (LANGUAGES[s.language] ?? s.language) : "phones' own"),
    h('td', {}, registrarText(s.server)),
    h('td', {}, s.polling === null ? "vendor's default" : `every ${s.polling} min`),
    h('td', { 'data-count': 'extensions' }, String(s.extensions)),
    // Every phone whose files carry the site; the ones placed in it hold it against deletion.
    h('td', { 'data-count': 'devices' }, String(s.devices), s.placedDevices ? h('span', { class: 'hint' }, ` (${s.placedDevices} placed)`) : null),
    isAdmin()
      ? h('td', {},
        h('button', { type: 'button', 'data-edit': name, 'aria-label': `Edit site ${name}`, onclick: () => edit(s) }, 'Edit'),
        name === 'default' ? null : [' ', h('button', { type: 'button', class: 'danger', 'aria-label': `Delete site ${name}`, onclick: () => askDelete(s) }, 'Delete')])
      : null);
}

async function load() {
  const list = await api('GET', '/api/sites');
  // The list has no counts; each site's own answer does. Sites are few.
  sites = await Promise.all(list.map((s) => api('GET', `/api/sites/${encodeURIComponent(s.name)}`)));
  $('#sites tbody').replaceChildren(...sites.map(row));
}

async function afterSave(name, { cancelled = false } = {}) {
  if (!cancelled) await load();
  // Back where the admin came from: the site's row, its next action at hand.
  const button = name && document.querySelector(`#sites button[data-edit="${CSS.escape(name)}"]`);
  (button ?? $('#sites-heading')).focus();
}

let deleting = null;

function askDelete(site) {
  deleting = site;
  $('#confirm-site-delete-title').textContent = `Delete site ${site.name}?`;
  $('#confirm-site-delete-text').textContent =
    `Its settings go. The server refuses while an extension is in it or a device is placed in it: now ${plural(site.extensions, 'extension')} and ${plural(site.placedDevices, 'placed device')}.`;
  $('#site-delete-error').replaceChildren();
  $('#confirm-site-delete').showModal();
}

function setupDelete() {
  const dialog = $('#confirm-site-delete');
  const error = $('#site-delete-error');
  $('#confirm-site-delete-no').addEventListener('click', () => dialog.close());
  $('#confirm-site-delete-yes').addEventListener('click', async () => {
    const name = deleting.name;
    error.replaceChildren();
    try {
      await api('DELETE', `/api/sites/${encodeURIComponent(name)}`);
    } catch (err) {
      if (err.code !== 'site-in-use') return showError(error, err);
      // The server names what holds it; the counts come fresh too, the table may be behind.
      await load().catch(() => {});
      const now = sites.find((s) => s.name === name);
      const what = err.message.includes(': ') ? err.message.slice(err.message.indexOf(': ') + 2) : '';
      error.textContent = `Not deleted: site ${name} is in use${now ? `, it holds ${plural(now.extensions, 'extension')} and ${plural(now.placedDevices, 'placed device')}` : ''}${what ? ` (${what})` : ''}. Move them to another site first, then delete it.`;
      return;
    }
    dialog.close();
    await load();
    flash(`Site ${name} is deleted.`);
    $('#sites-heading').focus();
  });
}

start(async () => {
  await load();
  if (isAdmin()) {
    edit = setupSiteForm({ saved: afterSave });
    setupDelete();
  }
  let pending = null;
  const soon = () => {
    clearTimeout(pending);
    pending = setTimeout(() => load().catch(() => {}), 500);
  };
  live({ extension: soon, device: soon, 'device-deleted': soon }, soon);
});
