// Webhooks end to end: a real HTTP receiver in the test verifies every
// signature, answers 500 to see the retries, or never answers at all to show
// that a dead receiver holds up nothing; two instances deliver each event once.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, type TestServer } from '../helpers/server.ts';

// The receivers listen on loopback, which a webhook may reach only when the operator allows it.
const FAST = { PROV_WEBHOOK_BACKOFF_MS: '40', PROV_WEBHOOK_POLL_MS: '40', PROV_WEBHOOK_TIMEOUT_SECONDS: '2', PROV_WEBHOOK_ALLOW: '127.0.0.0/8' };
const MAC = '805ec0a1b2e1';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:e1';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  got: Received[];
  /** Status to answer the n-th request (0-based) with; null never answers. */
  answer: (n: number) => number | null;
}

async function receiver(t: ExecutionContext, answer: Receiver['answer'] = () => 200): Promise<Receiver> {
  const r: Receiver = { url: '', got: [], answer };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const status = r.answer(r.got.length);
      r.got.push({ headers: req.headers, body });
      if (status !== null) res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return r;
}

async function server(t: ExecutionContext, options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer({ ...options, env: { ...FAST, ...options.env } });
  t.teardown(() => s.close());
  return s;
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

function verified(t: ExecutionContext, secret: string, got: Received) {
  const ts = got.headers['x-prov-timestamp'] as string;
  t.regex(ts, /^\d{10}$/);
  const want = `sha256=${createHmac('sha256', secret).update(`${ts}.${got.body}`).digest('hex')}`;
  t.is(got.headers['x-prov-signature'], want, 'the signature is HMAC-SHA256 of "<timestamp>.<body>"');
  t.is(got.headers['content-type'], 'application/json');
  return JSON.parse(got.body);
}

const hook = async (s: TestServer, url: string, events: string[]) => {
  const r = await s.api('POST', '/api/webhooks', { body: { url, events } });
  if (r.status !== 201) throw new Error(`webhook: ${r.status} ${r.text}`);
  return r.json as { id: string; secret: string };
};

test('a secret change is delivered signed, without the secret; the signing secret is shown once', async (t) => {
  const s = await server(t);
  const rx = await receiver(t);
  const created = await hook(s, rx.url, ['secret.changed']);
  t.regex(created.secret, /^whsec_/);
  const listed = await s.api('GET', '/api/webhooks');
  t.deepEqual(listed.json.map((w: { id: string }) => w.id), [created.id]);
  t.false(listed.text.includes(created.secret), 'the list never shows the secret');
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: 'Hooked-Secret-2' } });
  const got = await until('the delivery', () => rx.got[0]);
  const payload = verified(t, created.secret, got);
  t.like(payload, { type: 'secret.changed', data: { number: '1001', version: 2 } });
  t.is(got.headers['x-prov-event'], 'secret.changed');
  t.false(got.body.includes('Hooked-Secret-2'));
  const log = await until('the log entry', async () => {
    const d = (await s.api('GET', `/api/webhooks/${created.id}/deliveries`)).json;
    return d[0]?.state === 'delivered' ? d : undefined;
  });
  t.like(log[0], { event: 'secret.changed', attempts: 1, lastStatus: 200, eventId: payload.id });
  t.false(JSON.stringify(log).includes(created.secret));
  // Deleting the webhook takes its log with it.
  t.is((await s.api('DELETE', `/api/webhooks/${created.id}`)).status, 204);
  t.is((await s.api('GET', `/api/webhooks/${created.id}/deliveries`)).status, 404);
});

test('a receiver answering 500 sees the same delivery again, with backoff, until it takes it', async (t) => {
  const s = await server(t);
  const rx = await receiver(t, (n) => (n < 3 ? 500 : 204));
  const { id, secret } = await hook(s, rx.url, ['secret.changed']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/extensions/1001/secret/generate');
  const log = await until('delivered after retries', async () => {
    const d = (await s.api('GET', `/api/webhooks/${id}/deliveries`)).json;
    return d[0]?.state === 'delivered' ? d : undefined;
  });
  t.is(rx.got.length, 4);
  t.like(log[0], { attempts: 4, lastStatus: 204, lastError: null });
  const ids = new Set(rx.got.map((g) => g.headers['x-prov-delivery']));
  t.is(ids.size, 1, 'one delivery, attempted four times');
  t.true(rx.got.every((g) => g.body === rx.got[0]!.body), 'the same body each time');
  for (const g of rx.got) verified(t, secret, g);
});

test('with no retry period left, a failing delivery is given up and says why', async (t) => {
  const s = await server(t, { env: { PROV_WEBHOOK_RETRY_HOURS: '0' } });
  const rx = await receiver(t, () => 500);
  const { id } = await hook(s, rx.url, ['secret.changed']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/extensions/1001/secret/generate');
  const log = await until('given up', async () => {
    const d = (await s.api('GET', `/api/webhooks/${id}/deliveries`)).json;
    return d[0]?.state === 'failed' ? d : undefined;
  });
  t.like(log[0], { attempts: 1, lastStatus: 500, lastError: 'HTTP 500' });
});

test('a receiver that never answers, or is not there, does not hold up secret changes', async (t) => {
  // The attempt timeout is far past the test's own: a change waiting on it could never finish.
  const s = await server(t, { env: { PROV_WEBHOOK_TIMEOUT_SECONDS: '300' } });
  const hanging = await receiver(t, () => null);
  await hook(s, hanging.url, ['secret.changed']);
  await hook(s, 'http://127.0.0.1:9/nobody-listens', ['secret.changed']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  for (let i = 2; i <= 6; i++) {
    const r = await s.api('PUT', '/api/extensions/1001/secret', { body: { secret: `Busy-Secret-${i}` } });
    t.is(r.status, 200);
    t.is(r.json.version, i);
  }
  await until('the hanging receiver holds all five', () => (hanging.got.length === 5 ? true : undefined));
  t.is((await s.api('GET', '/api/extensions/1001')).json.secretVersion, 6);
});

test('device.detected, device.synced, link.used and device.notify-failed reach the webhooks that asked for them', async (t) => {
  const s = await server(t);
  const all = await receiver(t);
  const some = await receiver(t);
  const everything = await hook(s, all.url, ['device.detected', 'device.synced', 'link.used', 'device.notify-failed', 'secret.changed']);
  await hook(s, some.url, ['device.synced']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA } })).status, 404, 'an unknown phone');
  await s.api('PATCH', `/api/devices/${MAC}`, { body: { lines: [{ extension: '1001' }] } });
  t.is((await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA } })).status, 200);
  const link = (await s.api('POST', '/api/links', { body: { extension: '1001', app: 'zoiper' } })).json;
  t.is((await fetch(link.url.replace(/^https?:\/\/[^/]+/, s.url), { method: "POST" })).status, 200);
  s.events.publish({
    type: 'notify-outcome',
    mac: MAC,
    notify: { state: 'failed', via: 'direct', target: 'sip:127.0.0.1:5060', at: new Date().toISOString(), code: 408, attempts: 3 },
  });
  s.events.publish({
    type: 'notify-outcome',
    mac: MAC,
    notify: { state: 'acknowledged', via: 'direct', target: 'sip:127.0.0.1:5060', at: new Date().toISOString(), code: 200, attempts: 1 },
  });
  const types = await until('four events', () => (all.got.length >= 4 ? all.got.map((g) => verified(t, everything.secret, g)) : undefined));
  const byType = new Map(types.map((p) => [p.type, p]));
  t.deepEqual([...byType.keys()].sort(), ['device.detected', 'device.notify-failed', 'device.synced', 'link.used']);
  t.like(byType.get('device.detected').data, { mac: MAC, vendor: 'yealink' });
  t.like(byType.get('device.synced').data, { mac: MAC });
  t.like(byType.get('link.used').data, { link: link.id, extension: '1001', app: 'zoiper', secretVersion: 1 });
  t.like(byType.get('device.notify-failed').data, { mac: MAC, via: 'direct', code: 408, attempts: 3 });
  await until('the synced-only receiver', () => (some.got.length === 1 ? true : undefined));
  t.is(JSON.parse(some.got[0]!.body).type, 'device.synced');
  // Fetching the same version again is not a new sync.
  t.is((await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA } })).status !== 500, true);
  await new Promise((r) => setTimeout(r, 300));
  t.is(all.got.length, 4, 'nothing else was sent');
  t.is(some.got.length, 1);
});

test('two instances on one store deliver each event once', async (t) => {
  const a = await server(t);
  const b = await server(t, { dataDir: a.dataDir, env: { PROV_ADMIN_TOKEN: 'b'.repeat(32) } });
  const rx = await receiver(t, (n) => (n % 2 === 0 ? 503 : 200));
  const { id } = await hook(a, rx.url, ['secret.changed']);
  await a.api('POST', '/api/extensions', { body: extensionBody('1001') });
  for (let i = 0; i < 4; i++) await (i % 2 ? a : b).api('POST', '/api/extensions/1001/secret/generate');
  const log = await until('all delivered', async () => {
    const d = (await b.api('GET', `/api/webhooks/${id}/deliveries`)).json as { state: string }[];
    return d.length === 4 && d.every((x) => x.state === 'delivered') ? d : undefined;
  });
  t.is(log.length, 4);
  const delivered = rx.got.filter((_, n) => n % 2 === 1).map((g) => g.headers['x-prov-delivery']);
  t.is(new Set(delivered).size, 4, 'each delivery taken once');
  t.is(rx.got.length, 8, 'one failed and one good attempt each, nothing twice');
});

test('webhook input is checked and only admins manage them', async (t) => {
  const s = await server(t);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'v', role: 'viewer' } })).json.token;
  const bad = async (body: unknown, code: string) => {
    const r = await s.api('POST', '/api/webhooks', { body });
    t.is(r.status, 422, JSON.stringify(body));
    t.is(r.json.error.code, code);
  };
  await bad({ url: 'ftp://example.com/x', events: ['secret.changed'] }, 'invalid-input');
  await bad({ url: 'http://u:p@example.com/x', events: ['secret.changed'] }, 'invalid-url');
  await bad({ url: 'http://example.com/x', events: [] }, 'invalid-input');
  await bad({ url: 'http://example.com/x', events: ['secret.revealed'] }, 'invalid-input');
  await bad({ url: 'http://example.com/x', events: ['secret.changed'], secret: 'mine' }, 'invalid-input');
  t.is((await s.api('POST', '/api/webhooks', { token: viewer, body: { url: 'http://example.com/x', events: ['link.used'] } })).status, 403);
  t.is((await s.api('GET', '/api/webhooks', { token: viewer })).status, 403);
  t.is((await s.api('GET', '/api/webhooks')).json.length, 0);
  t.is((await s.api('DELETE', '/api/webhooks/nope')).status, 404);
});

test('a receiver on the inside is refused in every spelling of its address, unless PROV_WEBHOOK_ALLOW opens its range', async (t) => {
  const s = await server(t, { env: { PROV_WEBHOOK_ALLOW: '' } });
  for (const url of [
    'http://127.0.0.1:1/',
    'http://127.1/',
    'http://0x7f000001/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://[::1]:8080/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://localhost:8080/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://10.0.0.1/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://224.0.0.1/',
    'http://[ff02::1]/',
    'http://0.0.0.0/',
    'http://[::]/',
    'https://0x0a.0.0.1/',
  ]) {
    const r = await s.api('POST', '/api/webhooks', { body: { url, events: ['secret.changed'] } });
    t.deepEqual([r.status, r.json?.error?.code], [422, 'forbidden-destination'], url);
  }
  t.deepEqual((await s.api('GET', '/api/webhooks')).json, [], 'nothing stored');
  t.deepEqual((await s.api('GET', '/api/audit?action=webhook.created')).json, []);
  // A name that does not resolve now is taken: every delivery checks where it resolves then.
  t.is((await s.api('POST', '/api/webhooks', { body: { url: 'https://hooks.example.invalid/prov', events: ['secret.changed'] } })).status, 201);
});

test('a delivery that reaches no receiver says "not reached", never why', async (t) => {
  const s = await server(t, { env: { PROV_WEBHOOK_RETRY_HOURS: '0' } });
  // Closed port and an answer that never comes: told apart, they would map the network.
  const hanging = await receiver(t, () => null);
  const closed = await hook(s, 'http://127.0.0.1:9/nobody-listens', ['secret.changed']);
  const slow = await hook(s, hanging.url, ['secret.changed']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  await s.api('POST', '/api/extensions/1001/secret/generate', { body: {} });
  for (const { id } of [closed, slow]) {
    const [d] = await until(`the delivery of ${id} given up`, async () => {
      const log = (await s.api('GET', `/api/webhooks/${id}/deliveries`)).json as { state: string }[];
      return log[0]?.state === 'failed' ? log : undefined;
    });
    t.like(d, { state: 'failed', lastStatus: null, lastError: 'not reached' });
  }
});

test('registration.changed: a registrar report that moves a line reaches the webhooks that asked for it', async (t) => {
  const s = await server(t);
  const rx = await receiver(t);
  const { secret } = await hook(s, rx.url, ['registration.changed']);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: '1001' }] } })).status, 201);
  const pbx = (await s.api('POST', '/api/tokens', { body: { name: 'registrar', role: 'pbx', realms: ['pbx.example.com'] } })).json.token;
  const body = { authUsername: '1001', realm: 'pbx.example.com', result: 'ok', secretVersion: 1, contact: 'sip:1001@10.0.0.9:5060', expires: 600 };
  t.is((await s.api('POST', '/pbx/v1/registrations', { token: pbx, body })).status, 204);
  t.is((await s.api('POST', '/pbx/v1/registrations', { token: pbx, body })).status, 204, 'the same state again moves nothing');
  await until('one delivery', () => (rx.got.length >= 1 ? true : undefined));
  await new Promise((r) => setTimeout(r, 300));
  t.is(rx.got.length, 1);
  const payload = verified(t, secret, rx.got[0]!);
  t.like(payload, { type: 'registration.changed', data: { mac: MAC, extension: '1001', state: 'registered', secretVersion: 1 } });
});
