// The new-link form of the Softphone links page and of an extension's
// Softphone links tab: the app, how long and how many downloads, then the
// link and its QR code shown once (the server keeps only the token's hash,
// so this answer is the only place the link ever exists).
import { $, api, flash, options, showError } from './common.js';

/**
 * `extension`: a fixed extension number (the extension's tab), or a function
 * that reads it from the form (the links page). `made` runs after a link
 * was created, to refresh the lists.
 */
export async function setupLinkForm({ extension, made }) {
  const profiles = await api('GET', '/api/profiles');
  options($('#l-app'), profiles.filter((p) => p.kind === 'softphone').map((p) => [p.id, p.name]), { keep: false });
  const numberOf = typeof extension === 'function' ? extension : () => extension;
  $('#link-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const error = $('#link-error');
    showError(error, null);
    const hours = Number($('#l-expires').value.trim());
    const maxUses = Number($('#l-uses').value.trim());
    if (!Number.isInteger(hours) || hours < 1 || hours > 720) return showError(error, { message: 'Valid for: a whole number of hours from 1 to 720.' });
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 100) return showError(error, { message: 'Downloads allowed: a whole number from 1 to 100.' });
    try {
      const link = await api('POST', '/api/links', { extension: numberOf(), app: $('#l-app').value, expiresInMinutes: hours * 60, maxUses });
      $('#new-link').hidden = false;
      $('#link-url').value = link.url;
      $('#link-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(link.qrSvg)}`;
      await made(link);
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
