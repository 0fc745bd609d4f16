// The "Point phones here" card of the Devices page: the provisioning URL to
// give phones or DHCP option 66, how each vendor's phones take it, whether
// changes are pushed, and a warning when the URL cannot work for phones
// (a loopback address, a host name without a domain, or one the server
// guessed because PROV_PUBLIC_URL is not set).
import { $, api, h } from './common.js';

const WARNINGS = {
  'not-configured': 'PROV_PUBLIC_URL is not set, so this address was made from the server\'s host name. Set PROV_PUBLIC_URL to the address phones reach the server at.',
  loopback: 'This address is the server itself (loopback): no phone can reach it. Set PROV_PUBLIC_URL.',
  'bare-hostname': 'This host name has no domain: phones usually cannot resolve it. Set PROV_PUBLIC_URL to a full name or an address.',
};

const PUSH = {
  direct: 'On (direct): after a change each phone is sent a SIP NOTIFY check-sync at the address it proved itself from.',
  proxy: "On (proxy): after a change each phone is sent a SIP NOTIFY check-sync through its line's registrar.",
  off: 'Off (PROV_NOTIFY=off): phones fetch changes only when they poll on their own.',
};

export async function showServerCard() {
  const card = $('#server-card');
  if (!card) return;
  const s = await api('GET', '/api/server');
  $('#prov-url').textContent = s.provisioningUrl;
  $('#dhcp-66').textContent = s.dhcpOption66;
  $('#push-mode').textContent = PUSH[s.push.mode] ?? s.push.mode;
  const banner = $('#url-warning');
  banner.replaceChildren(...s.warnings.map((w) => h('p', {}, WARNINGS[w] ?? w)));
  banner.hidden = s.warnings.length === 0;
  $('#vendor-setup').replaceChildren(
    ...s.vendors.map((v) => h('details', {}, h('summary', {}, v.name), h('ol', {}, ...v.setup.map((step) => h('li', {}, step))))),
  );
}
