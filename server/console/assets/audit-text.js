// The audit log in words people recognise: who (an account, a token's name,
// a phone, a softphone link), what happened to which object, with a link to
// that object's page, and the details as text. Events store ids (a link's or
// token's UUID, a MAC); the names come from the current lists, read once per
// page and cached, and from the event's own details when the object is gone.
import { api, apiAll, h } from './common.js';
import { formatMac } from './mac.js';

const ACTIONS = {
  'secret.changed': 'Secret changed',
  'secret.revealed': 'Secret revealed',
  'extension.created': 'Extension created',
  'extension.updated': 'Extension changed',
  'extension.deleted': 'Extension deleted',
  'extension.sync-requested': 'Sync requested for the extension\'s phones',
  'device.created': 'Device added',
  'device.updated': 'Device changed',
  'device.deleted': 'Device deleted',
  'device.claim-opened': 'Claim window opened',
  'device.claimed': 'Phone claimed its file',
  'device.learnt': 'Learnt from the phone',
  'device.credentials-revealed': 'Provisioning credentials revealed',
  'device.credentials-rotated': 'Provisioning password rotated',
  'device.sync-requested': 'Sync requested',
  'device.override-uploaded': 'Phone uploaded its settings',
  'device.log-uploaded': 'Phone uploaded a log',
  'device.upload-refused': 'Phone upload refused',
  'config.previewed': 'File shown with its secrets',
  'link.created': 'Softphone link made',
  'link.used': 'Softphone link used',
  'link.app-fetched': 'Softphone app fetched its account',
  'link.revoked': 'Softphone link revoked',
  'token.created': 'API token made',
  'token.deleted': 'API token revoked',
  'user.created': 'User created',
  'user.updated': 'User changed',
  'user.deleted': 'User removed',
  'session.created': 'Signed in',
  'session.ended': 'Signed out',
  'webhook.created': 'Webhook added',
  'webhook.deleted': 'Webhook removed',
  'templates.reloaded': 'Templates reloaded',
};

/** Every action the server writes, for the filter's suggestions: families first, then each action. */
export const ACTION_SUGGESTIONS = [...new Set(Object.keys(ACTIONS).map((a) => `${a.split('.')[0]}.`)), ...Object.keys(ACTIONS)];

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** "Secret changed"; an action this page does not know is spelt out from its name. */
export function actionText(action) {
  return ACTIONS[action] ?? capital(action.replace(/[.-]/g, ' '));
}

// What the names come from: the lists read once per page load, on first
// need; a device by its own read, once each. null: could not be read (then
// names fall back to ids, never to "deleted").
let extensions;
let links;
let tokens;
let vendors;
const devices = new Map();

const attempt = (read) => read().catch(() => null);

/** Reads what the names of these events need; call before drawing their rows. */
export async function loadNames(events) {
  const reads = [];
  // Something made since the lists were read is read again, rather than shown as deleted.
  const named = (kind) => events.flatMap((e) => [e.target, e.actor]).filter((x) => x.startsWith(`${kind}:`)).map((x) => x.slice(kind.length + 1));
  if (extensions && named('extension').some((n) => !extensions.has(n))) extensions = undefined;
  if (links && named('link').some((id) => !links.has(id))) links = undefined;
  if (extensions === undefined) reads.push(attempt(async () => new Map((await apiAll('/api/extensions')).map((x) => [x.number, x]))).then((m) => (extensions = m)));
  const needs = (kind) => events.some((e) => e.target.startsWith(`${kind}:`) || e.actor.startsWith(`${kind}:`));
  if (links === undefined && needs('link')) reads.push(attempt(async () => new Map((await api('GET', '/api/links')).map((l) => [l.id, l]))).then((m) => (links = m)));
  if (tokens === undefined && (needs('token') || events.some((e) => e.actorTokenId))) {
    reads.push(attempt(async () => new Map((await api('GET', '/api/tokens')).map((t) => [t.id, t]))).then((m) => (tokens = m)));
  }
  const macs = new Set(events.filter((e) => e.target.startsWith('device:')).map((e) => e.target.slice(7)));
  // Makers' and apps' names ("Yealink", "MicroSIP") for devices and links.
  if (vendors === undefined && (macs.size || needs('link'))) reads.push(attempt(async () => new Map((await api('GET', '/api/profiles')).map((p) => [p.id, p.name]))).then((m) => (vendors = m)));
  for (const mac of macs) {
    if (devices.has(mac)) continue;
    devices.set(mac, undefined);
    reads.push(
      api('GET', `/api/devices/${encodeURIComponent(mac)}`)
        .then((d) => devices.set(mac, d))
        .catch((err) => devices.set(mac, err.status === 404 ? null : undefined)),
    );
  }
  await Promise.all(reads);
}

function extensionName(number) {
  const href = `/extensions/${encodeURIComponent(number)}`;
  if (!extensions) return { text: `extension ${number}`, href };
  const x = extensions.get(number);
  return x ? { text: `extension ${number} (${x.displayName})`, href } : { text: `extension ${number} (deleted)` };
}

function linkName(id, details) {
  const l = links?.get(id);
  const ext = l?.extension ?? details?.extension;
  const x = ext && extensions?.get(ext);
  const app = l?.app ?? details?.app;
  const of = ext ? ` for extension ${ext}${x ? ` (${x.displayName})` : ''}` : '';
  return { text: `${app ? (vendors?.get(app) ?? capital(app)) : 'Softphone'} link${of}`, href: l || !links ? `/links#link-${id}` : undefined };
}

function deviceName(mac) {
  const d = devices.get(mac);
  if (d === null) return { text: `device ${formatMac(mac)} (deleted)` };
  const what = d ? ` (${d.label ?? `${vendors?.get(d.vendor) ?? d.vendor}${d.model ? ` ${d.model}` : ''}`})` : '';
  return { text: `device ${formatMac(mac)}${what}`, href: `/devices/${mac}` };
}

/** The object an event is about, as a name and, while it exists, the page that shows it. */
export function targetName(e) {
  const [kind, ...rest] = e.target.split(':');
  const id = rest.join(':');
  if (!id) return { text: e.target };
  switch (kind) {
    case 'extension':
      return extensionName(id);
    case 'device':
      return deviceName(id);
    case 'link':
      return linkName(id, e.details);
    case 'token': {
      const t = tokens?.get(id);
      const name = t?.name ?? e.details?.name;
      const gone = !t && tokens ? ' (revoked)' : '';
      return { text: name ? `API token “${name}”${gone}` : `an API token${gone}`, href: t ? '/users' : undefined };
    }
    case 'user':
      return { text: `user ${id}`, href: '/users' };
    case 'webhook':
      return { text: e.details?.url ? `webhook ${e.details.url}` : 'a webhook' };
    default:
      return { text: e.target };
  }
}

/** Who did it: a person by account name, a token by its name (never its id), a phone, a softphone link, the server. */
export function actorName(e) {
  if (e.actorTokenId) {
    const live = tokens?.has(e.actorTokenId);
    return { text: `API token “${e.actor}”${tokens && !live ? ' (revoked)' : ''}`, href: live ? '/users' : undefined };
  }
  const [kind, ...rest] = e.actor.split(':');
  const id = rest.join(':');
  if (kind === 'user' && id) return { text: id, href: '/users' };
  if (kind === 'phone' && id) return { text: `the phone ${formatMac(id)}`, href: `/devices/${id}` };
  if (kind === 'link' && id) return linkName(id, e.details);
  if (e.actor === 'system') return { text: 'the server' };
  if (e.actor === 'PROV_ADMIN_TOKEN') return { text: 'the configured admin token (PROV_ADMIN_TOKEN)' };
  return { text: e.actor };
}

/** A name as a link when its page exists, else as text. */
export function nameNode({ text, href }) {
  return href ? h('a', { href }, text) : h('span', {}, text);
}

const FIELD_NAMES = {
  displayName: 'display name',
  authUsername: 'auth username',
  server: 'SIP server',
  outboundProxy: 'outbound proxy',
  media: 'SRTP',
  realms: 'realms',
  label: 'label',
  lines: 'lines',
  vendor: 'vendor',
  model: 'model',
  sipContact: 'SIP contact',
  role: 'role',
  password: 'password',
};

const PREVIOUS = {
  kept: 'the previous secret stays accepted by the registrar until the phones have the new one',
  revoked: 'the previous secret was dropped at once',
  dropped: 'the previous secret was dropped',
};

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** "secretVersion" → "secret version". */
const words = (key) => key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

function value(v) {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return ISO.test(v) ? new Date(v).toLocaleString() : v;
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (v.every((x) => x && typeof x === 'object' && 'line' in x && 'extension' in x)) return v.map((l) => `line ${l.line}: ${l.extension}`).join(', ');
    return v.map((x) => (x && typeof x === 'object' ? `(${value(x)})` : value(x))).join(', ');
  }
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${words(k)} ${value(x)}`).join(', ');
  return String(v);
}

/** The details as short sentences; the raw JSON never reaches the page. */
export function detailsText(e) {
  const d = e.details ?? {};
  const parts = [];
  const rest = { ...d };
  const take = (k) => {
    const v = rest[k];
    delete rest[k];
    return v;
  };
  if (e.action === 'secret.changed') {
    const method = take('method');
    parts.push(`now version ${take('version')}${method === 'generate' ? ', generated' : method === 'set' ? ', typed by hand' : ''}`);
    const previous = take('previous');
    if (previous) parts.push(PREVIOUS[previous] ?? `previous secret ${previous}`);
  } else if (e.action === 'secret.revealed') {
    const via = take('via');
    parts.push(`version ${take('version')}${via === 'copy' ? ', copied to the clipboard' : ''}`);
  } else if (e.action === 'extension.created') {
    const generated = take('secretGenerated');
    take('secretVersion');
    if (generated !== undefined) parts.push(generated ? 'secret generated' : 'secret chosen by hand');
  }
  if (Array.isArray(rest.fields)) parts.push(`changed: ${take('fields').map((f) => FIELD_NAMES[f] ?? words(f)).join(', ')}`);
  // The target already names the extension and app of a link event.
  if (e.target.startsWith('link:') || e.actor.startsWith('link:')) {
    take('extension');
    take('app');
  }
  for (const [k, v] of Object.entries(rest)) parts.push(`${words(k)}: ${value(v)}`);
  return parts.join('; ');
}
