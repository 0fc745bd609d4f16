// Softphone links: create one for an extension and app (URL and QR shown
// once), list them with state and sync status, revoke.
import { $, api, apiAll, badge, flash, h, isAdmin, live, options, start, when } from './common.js';
import { setupLinkForm } from './link-form.js';
import { followLinks } from './live-links.js';

const links = new Map();

function render() {
  const rows = [...links.values()]
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
    .map((l) =>
      h(
        'tr',
        { 'data-link': l.id, id: `link-${l.id}` },
        h('td', {}, h('a', { href: `/extensions/${encodeURIComponent(l.extension)}` }, l.extension)),
        h('td', {}, l.app),
        h('td', {}, badge(l.state)),
        h('td', {}, badge(l.status)),
        h('td', {}, `${l.uses} of ${l.maxUses}`),
        h('td', {}, when(l.expiresAt)),
        isAdmin()
          ? h('td', {}, l.state === 'revoked' ? '—' : h('button', { type: 'button', 'aria-label': `Revoke ${l.app} link for ${l.extension}`, onclick: () => revoke(l) }, 'Revoke'))
          : null,
      ),
    );
  $('#links tbody').replaceChildren(...rows);
  $('#empty').hidden = rows.length > 0;
}

async function load() {
  const list = await api('GET', '/api/links');
  links.clear();
  for (const l of list) links.set(l.id, l);
  render();
}

async function revoke(link) {
  try {
    await api('DELETE', `/api/links/${link.id}`);
    await load();
    flash(`The ${link.app} link for ${link.extension} is revoked.`);
  } catch (err) {
    flash(err.message, 'error');
  }
}

start(async () => {
  await load();
  // The audit log links to a link's row; rows arrive after the page, so the browser's own jump to it found nothing.
  if (location.hash.startsWith('#link-')) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  if (isAdmin()) {
    const extensions = await apiAll('/api/extensions');
    options($('#l-extension'), extensions.map((x) => [x.number, `${x.number} ${x.displayName}`]), { keep: false });
    await setupLinkForm({ extension: () => $('#l-extension').value, made: load });
  }
  live({ link: followLinks(links, load, render) }, () => load().catch(() => {}));
});
