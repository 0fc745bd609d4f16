// Shared by every console page: calls to the JSON API with the session
// cookie, a small element builder, status badges and the live event stream.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls /api with the session cookie; throws ApiError with the API's message. */
export async function api(method, path, body) {
  return (await request(method, path, body)).json;
}

/**
 * Every item of a paged list: the API answers pages of at most 1000 and
 * names the next one in its Link header.
 */
export async function apiAll(path, pageSize = 1000) {
  const items = [];
  let next = `${path}${path.includes('?') ? '&' : '?'}limit=${pageSize}`;
  while (next) {
    const { json, res } = await request('GET', next);
    items.push(...json);
    next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1] ?? null;
  }
  return items;
}

async function request(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/session') && !path.startsWith('/api/setup')) {
      location.assign('/sign-in');
    }
    throw new ApiError(res.status, json?.error?.code ?? 'error', json?.error?.message ?? `request failed (${res.status})`);
  }
  return { json, res };
}

/** h('td', {class: 'x'}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel) => document.querySelector(sel);

export function flash(message, kind = 'ok') {
  const box = $('#flash');
  if (!box) return;
  box.className = kind;
  box.textContent = message;
}

export function showError(el, err) {
  if (el) el.textContent = err ? (err.message ?? String(err)) : '';
}

const STATUS_TEXT = {
  synced: 'synced',
  pending: 'pending',
  never: 'never fetched',
  unassigned: 'unassigned',
  failed: 'failed',
  active: 'active',
  expired: 'expired',
  'used-up': 'used up',
  revoked: 'revoked',
};

const REGISTRATION_TEXT = {
  registered: 'registered',
  'old-secret': 'old secret',
  failed: 'failing',
  expired: 'unregistered',
  unknown: 'no report',
};

/** A line's registration as the registrar reported it, with the secret version it used. */
export function registrationBadge(r) {
  const state = r?.state ?? 'unknown';
  const version = r?.secretVersion ? ` (v${r.secretVersion})` : '';
  return h('span', { class: `badge reg-${state}`, 'data-registration': state, title: r?.at ? `reported ${new Date(r.at).toLocaleString()}` : 'the registrar has reported nothing for this line' }, `${REGISTRATION_TEXT[state] ?? state}${version}`);
}

export function badge(status) {
  return h('span', { class: `badge ${status}`, 'data-status': status }, STATUS_TEXT[status] ?? status);
}

export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

export const role = () => document.body.dataset.role;
export const isAdmin = () => role() === 'admin';
export const param = () => document.body.dataset.param;

/** "24 h", "90 min": how often a phone polls. */
function every(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/**
 * A device's push (SIP NOTIFY) state. When push cannot reach it (off on this
 * server, a device that never proved its address) or its NOTIFY failed, says
 * when the phone polls on its own instead, so nobody waits for a push that
 * will not come.
 */
export function notifyText(device) {
  const n = device?.notify;
  const p = device?.push;
  const parts = [];
  if (n) parts.push(`${n.state}${n.code ? ` (${n.code})` : ''}`);
  else if (p?.refusal) parts.push(p.mode === 'off' ? 'push off' : 'cannot be pushed');
  const waiting = p && (p.refusal || n?.state === 'failed' || n?.state === 'no-fetch');
  if (waiting && p.pollSeconds) {
    const next = p.nextPollBy ? `; next by ${new Date(p.nextPollBy).toLocaleString()}` : '';
    parts.push(`polls every ${every(p.pollSeconds)}${next}`);
  }
  return parts.length ? parts.join(' · ') : '—';
}

/**
 * The server's event stream. Each handler gets the parsed data of its event
 * type; onReconnect runs each time the stream opens, so a page can re-read
 * whatever it missed before or while it was gone (or on another instance).
 */
export function live(handlers, onReconnect) {
  if (!window.EventSource) return null;
  const source = new EventSource('/api/events');
  let heard = 0;
  for (const [type, fn] of Object.entries(handlers)) {
    source.addEventListener(type, (e) => {
      heard++;
      fn(JSON.parse(e.data));
    });
  }
  // A change too large to send record by record (an import): the page reads again.
  source.addEventListener('resync', () => {
    heard++;
    reread();
  });
  // A re-read's answer may have been read before an event that arrived while
  // it was on its way, and would put the older state back over the newer:
  // when events came in meanwhile, read once more (a few times at most).
  let reading = null;
  let again = false;
  const reread = () => {
    if (!onReconnect) return;
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      for (let round = 0; round < 4; round++) {
        again = false;
        const before = heard;
        await onReconnect();
        if (heard === before && !again) break;
      }
      reading = null;
    })();
  };
  // The first open re-reads too: the page read its lists before the stream
  // was listening, and a change in between (a phone fetching the moment the
  // page loaded) would otherwise wait for the slow timer below.
  source.addEventListener('open', () => {
    reread();
    document.body.dataset.live = 'on';
  });
  source.addEventListener('error', () => {
    document.body.dataset.live = 'off';
  });
  // Several instances behind one address: events of the others arrive by re-reading now and then.
  if (onReconnect) setInterval(reread, 60_000);
  return source;
}

/**
 * A re-read that runs one at a time and never leaves an older answer over a
 * newer event: asked again while it runs, or told with heard() that an event
 * came in meanwhile, it reads once more when it is done.
 */
export function rereader(read) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await read();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  run.heard = () => {
    if (running) again = true;
  };
  return run;
}

/** Gives each cell its column's name, which narrow screens show beside the value (see console.css). */
function labelCells() {
  for (const table of document.querySelectorAll('table')) {
    const names = [...table.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const label = () => {
      for (const row of table.tBodies[0]?.rows ?? []) {
        [...row.cells].forEach((cell, i) => {
          if (names[i] && cell.colSpan === 1) cell.dataset.label = names[i];
        });
      }
    };
    label();
    if (table.tBodies[0]) new MutationObserver(label).observe(table.tBodies[0], { childList: true });
  }
}

export function start(fn) {
  labelCells();
  const out = $('#sign-out');
  if (out) {
    out.addEventListener('click', async () => {
      try {
        await api('DELETE', '/api/session');
      } finally {
        location.assign('/sign-in');
      }
    });
  }
  Promise.resolve()
    .then(fn)
    .catch((err) => flash(err.message ?? String(err), 'error'));
}

export function options(select, items, { keep = true } = {}) {
  const first = keep ? [...select.querySelectorAll('option[value=""]')] : [];
  select.replaceChildren(...first, ...items.map(([value, label]) => h('option', { value }, label)));
}

/** Counts of device statuses as "2 synced · 1 pending". */
export function summary(devices) {
  const counts = {};
  // A pending phone whose push failed is waiting on nothing: it counts as failed.
  const state = (d) => (d.status === 'pending' && d.notify?.state === 'failed' ? 'failed' : d.status);
  for (const d of devices) counts[state(d)] = (counts[state(d)] ?? 0) + 1;
  const order = ['synced', 'pending', 'failed', 'never', 'unassigned'];
  const parts = order.filter((s) => counts[s]).map((s) => `${counts[s]} ${STATUS_TEXT[s]}`);
  return parts.length ? parts.join(' · ') : 'no phones';
}
