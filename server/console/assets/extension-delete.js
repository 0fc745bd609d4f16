// Deleting an extension from its tab. The confirmation says what the delete
// would leave behind: the phones on it (the server refuses while any phone
// line points at the extension, 409 extension-in-use; they are listed, to
// be moved or deleted first) and its softphone links, which the server
// deletes with it, so anyone holding one can no longer use it.
import { $, api, apiAll, h } from './common.js';
import { formatMac } from './mac.js';

const phoneItem = (d, number) => {
  const line = d.lines.find((l) => l.extension === number)?.line;
  return h('li', {}, h('a', { href: `/devices/${d.mac}` }, formatMac(d.mac)), ` ${d.vendor}${d.model ? ` ${d.model}` : ''}${line ? `, line ${line}` : ''}`);
};

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** `panel`: {path, number, ext(), devices, links} from extension.js. */
export function setupDelete(panel) {
  const dialog = $('#confirm-delete');
  const error = $('#delete-error');
  const live = () => [...panel.links.values()].filter((l) => l.state !== 'revoked');

  function describe() {
    const ext = panel.ext();
    const phones = [...panel.devices.values()];
    const links = live();
    $('#confirm-delete-text').replaceChildren(
      h('p', {}, `Extension ${ext.number} (${ext.displayName}) goes with its settings and its secret. Its audit history stays.`),
      phones.length
        ? h('div', {},
          h('p', {}, `${plural(phones.length, 'phone uses', 'phones use')} it. The server refuses to delete an extension a phone uses: move ${phones.length === 1 ? 'it' : 'them'} to another extension or delete ${phones.length === 1 ? 'it' : 'them'} first.`),
          h('ul', {}, ...phones.map((d) => phoneItem(d, panel.number))))
        : h('p', {}, 'No phone uses it.'),
      links.length
        ? h('div', {},
          h('p', {}, `${links.length === 1 ? '1 softphone link is deleted with it and stops' : `${links.length} softphone links are deleted with it and stop`} working:`),
          h('ul', {}, ...links.map((l) => h('li', {}, `${l.app} link, ${l.state}, ${l.uses} of ${l.maxUses} downloads`))))
        : h('p', {}, 'It has no softphone links.'),
    );
  }

  /** The refusal, with the phones as the server sees them now (the page's own list may be behind). */
  async function refused(err) {
    let phones = [];
    try {
      phones = await apiAll(`/api/devices?extension=${encodeURIComponent(panel.number)}`);
    } catch {
      // The server's message still names the MACs.
    }
    error.replaceChildren(
      h('span', {}, `Not deleted: ${phones.length ? `${plural(phones.length, 'phone still uses', 'phones still use')} extension ${panel.number}. Move or delete ${phones.length === 1 ? 'it' : 'them'} first:` : err.message}`),
      phones.length ? h('ul', {}, ...phones.map((d) => phoneItem(d, panel.number))) : null,
    );
  }

  $('#delete-extension').addEventListener('click', () => {
    describe();
    error.replaceChildren();
    dialog.showModal();
  });
  $('#confirm-delete-no').addEventListener('click', () => dialog.close());
  $('#confirm-delete-yes').addEventListener('click', async () => {
    error.replaceChildren();
    const links = live().length;
    try {
      await api('DELETE', panel.path);
    } catch (err) {
      if (err.code === 'extension-in-use') await refused(err);
      else error.textContent = err.message;
      return;
    }
    location.assign(`/extensions?${new URLSearchParams({ deleted: panel.number, links: String(links) })}`);
  });
}
