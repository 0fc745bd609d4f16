// Softphone links: create one for an extension and app (URL and QR shown
// once), list them with state and sync status, revoke.
import { $, api, apiAll, badge, flash, h, isAdmin, live, options, showError, start, when } from './common.js';

let links = new Map();

function render() {
  const rows = [...links.values()]
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))
    .map((l) =>
      h(
        'tr',
        { 'data-link': l.id },
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
  links = new Map((await api('GET', '/api/links')).map((l) => [l.id, l]));
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

async function setupForm() {
  const [extensions, profiles] = await Promise.all([apiAll('/api/extensions'), api('GET', '/api/profiles')]);
  options($('#l-extension'), extensions.map((x) => [x.number, `${x.number} ${x.displayName}`]), { keep: false });
  options($('#l-app'), profiles.filter((p) => p.kind === 'softphone').map((p) => [p.id, p.name]), { keep: false });
  $('#link-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#link-error');
    showError(error, null);
    const hours = Number($('#l-expires').value.trim());
    const maxUses = Number($('#l-uses').value.trim());
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) return showError(error, { message: 'Valid for: a whole number of hours from 1 to 720.' });
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 100) return showError(error, { message: 'Downloads allowed: a whole number from 1 to 100.' });
    try {
      const made = await api('POST', '/api/links', { extension: $('#l-extension').value, app: $('#l-app').value, expiresInMinutes: hours * 60, maxUses });
      $('#new-link').hidden = false;
      $('#link-url').value = made.url;
      $('#link-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(made.qrSvg)}`;
      await load();
    } catch (err) {
      showError(error, err);
    }
  });
  $('#copy-link').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText($('#link-url').value);
      flash('Link copied.');
    } catch {
      $('#link-url').select();
    }
  });
}

start(async () => {
  await load();
  if (isAdmin()) await setupForm();
  live(
    {
      link(l) {
        links.set(l.id, l);
        render();
      },
    },
    () => load().catch(() => {}),
  );
});
