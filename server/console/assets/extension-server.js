// The extension tab's site and SIP server. An extension is in one site; its
// server is its own, or, left empty where the site has a registrar, the
// site's, which it then follows when the site's changes (serverFromSite).
// An empty SIP server field means "the site's" both when shown and when saved.
import { $ } from './common.js';
import { registrarText, siteOptions } from './site-fields.js';
import { readPort } from './sip-fields.js';

/** `ext()`: the extension as stored; `admin`; `changed()`: after the fields' state changed (the SRTP hint follows the transport). */
export function serverFields({ ext, admin, changed }) {
  let sites = new Map();
  const chosen = () => $('#f-site').value;
  const registrar = () => sites.get(chosen())?.server ?? null;

  function show() {
    const x = ext();
    if (!x) return;
    const r = registrar();
    const empty = $('#f-host').value.trim() === '';
    const following = empty && r !== null;
    $('#f-host').placeholder = r ? r.host : '';
    $('#f-port').placeholder = following ? String(r.port) : '';
    if (following) $('#f-transport').value = r.transport;
    if (admin) {
      // What follows the site is the site's to change, on the Sites page.
      $('#f-port').disabled = following;
      $('#f-transport').disabled = following;
    }
    const site = chosen();
    const text = !r
      ? `Its own SIP server: site ${site} has no registrar.`
      : following && x.serverFromSite && site === x.site
        ? `Follows site ${site}'s registrar, ${registrarText(r)}.${admin ? ' Type a SIP server to use another one instead.' : ''}`
        : following
          ? `Saved empty, it follows site ${site}'s registrar, ${registrarText(r)}.`
          : `Its own SIP server.${admin ? ` Empty it to follow site ${site}'s registrar, ${registrarText(r)}, instead.` : ''}`;
    $('#f-server-hint').textContent = text;
    changed();
  }

  if (admin) {
    $('#f-host').addEventListener('input', show);
    $('#f-site').addEventListener('change', () => {
      // A site without a registrar has none to follow: the field shows the server the extension keeps.
      const x = ext();
      if (!registrar() && $('#f-host').value.trim() === '' && x) {
        $('#f-host').value = x.server.host;
        $('#f-port').value = String(x.server.port);
        $('#f-transport').value = x.server.transport;
      }
      show();
    });
  }

  return {
    /** New site list: the select keeps what is chosen in it. */
    setSites(all) {
      sites = all;
      const select = $('#f-site');
      siteOptions(select, sites, select.value || undefined);
    },
    /** Fills through the tab's `fill(id, value)`, which keeps fields being edited. */
    fill(fill) {
      const x = ext();
      fill('#f-site', x.site);
      fill('#f-host', x.serverFromSite ? '' : x.server.host);
      fill('#f-port', x.serverFromSite ? '' : String(x.server.port));
      fill('#f-transport', x.server.transport);
      show();
    },
    show,
    /** {patch} with `site` and `server` as PATCH takes them (only what changed), or {problem, field}. */
    patch() {
      const x = ext();
      const patch = {};
      const site = chosen();
      const moved = site !== x.site;
      if (moved) patch.site = site;
      const host = $('#f-host').value.trim();
      if (!host) {
        if (!registrar()) return { problem: `Type the SIP server: site ${site} has no registrar to take.`, field: '#f-host' };
        if (!x.serverFromSite || moved) patch.server = null;
        return { patch };
      }
      const port = readPort($('#f-port').value, 'The port');
      if (port.problem) return { problem: port.problem, field: '#f-port' };
      const transport = $('#f-transport').value;
      if (x.serverFromSite) {
        // Leaving the site's registrar: the whole server, so nothing of the site's stays by accident.
        patch.server = { host, transport, ...(port.port !== null ? { port: port.port } : {}) };
        return { patch };
      }
      const server = {};
      if (host !== x.server.host) server.host = host;
      if (port.port !== null && port.port !== x.server.port) server.port = port.port;
      if (transport !== x.server.transport) server.transport = transport;
      if (Object.keys(server).length) patch.server = server;
      return { patch };
    },
  };
}
