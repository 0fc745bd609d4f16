// The authorization matrix of the admin API, written from API.md (not from
// the server's route table): every /api route with the role it needs, tried
// with no token, a bad token, a viewer token and an admin token.
import test, { type ExecutionContext } from 'ava';
import { extensionBody, startServer, type ApiResponse, type TestServer } from '../helpers/server.ts';

type Role = 'viewer' | 'admin';
interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  role: Role;
  body?: unknown;
}

const EXT = '1001';
const SPARE = '1002';
const MAC = '805ec0123456';

// {viewerId} and {linkId} are replaced by the ids of the viewer token and
// the softphone link the fixture creates.
// Preview, claim, link and template routes join this table with the
// capabilities that bring them.
const ROUTES: Route[] = [
  { method: 'POST', path: '/api/extensions', role: 'admin', body: extensionBody('2001') },
  { method: 'GET', path: '/api/extensions', role: 'viewer' },
  { method: 'GET', path: `/api/extensions/${EXT}`, role: 'viewer' },
  { method: 'PATCH', path: `/api/extensions/${EXT}`, role: 'admin', body: { label: 'changed' } },
  { method: 'DELETE', path: `/api/extensions/${SPARE}`, role: 'admin' },
  { method: 'GET', path: `/api/extensions/${EXT}/secret`, role: 'admin' },
  { method: 'PUT', path: `/api/extensions/${EXT}/secret`, role: 'admin', body: { secret: 'another-secret-1' } },
  { method: 'POST', path: `/api/extensions/${EXT}/secret/generate`, role: 'admin' },
  {
    method: 'POST',
    path: '/api/devices',
    role: 'admin',
    body: { mac: '805ec0abcdef', vendor: 'yealink', lines: [{ extension: EXT }] },
  },
  { method: 'GET', path: '/api/devices', role: 'viewer' },
  { method: 'GET', path: `/api/devices/${MAC}`, role: 'viewer' },
  { method: 'PATCH', path: `/api/devices/${MAC}`, role: 'admin', body: { label: 'desk' } },
  { method: 'DELETE', path: `/api/devices/${MAC}`, role: 'admin' },
  { method: 'GET', path: `/api/devices/${MAC}/files`, role: 'viewer' },
  { method: 'GET', path: `/api/devices/${MAC}/files/${MAC}.cfg`, role: 'admin' },
  { method: 'GET', path: `/api/devices/${MAC}/credentials`, role: 'admin' },
  { method: 'POST', path: `/api/devices/${MAC}/claim`, role: 'admin' },
  { method: 'POST', path: `/api/devices/${MAC}/sync`, role: 'admin' },
  { method: 'POST', path: `/api/extensions/${EXT}/sync`, role: 'admin' },
  { method: 'POST', path: '/api/links', role: 'admin', body: { extension: EXT, app: 'zoiper' } },
  { method: 'GET', path: `/api/links?extension=${EXT}`, role: 'viewer' },
  { method: 'DELETE', path: '/api/links/{linkId}', role: 'admin' },
  { method: 'POST', path: '/api/templates/reload', role: 'admin' },
  { method: 'POST', path: '/api/tokens', role: 'admin', body: { name: 'ci', role: 'viewer' } },
  { method: 'GET', path: '/api/tokens', role: 'admin' },
  { method: 'DELETE', path: '/api/tokens/{viewerId}', role: 'admin' },
  { method: 'GET', path: '/api/audit', role: 'admin' },
  { method: 'POST', path: '/api/webhooks', role: 'admin', body: { url: 'http://127.0.0.1:9/hook', events: ['secret.changed'] } },
  { method: 'GET', path: '/api/webhooks', role: 'admin' },
  { method: 'DELETE', path: '/api/webhooks/no-such-webhook', role: 'admin' },
  { method: 'GET', path: '/api/webhooks/no-such-webhook/deliveries', role: 'admin' },
  { method: 'GET', path: '/api/pbx/lookups', role: 'viewer' },
];

interface Fixture {
  s: TestServer;
  viewer: string;
  viewerId: string;
  linkId: string;
}

/** A fresh server with extensions 1001 (on a device) and 1002 (unused), one device, one viewer token and one link. */
async function fixture(t: ExecutionContext): Promise<Fixture> {
  const s = await startServer();
  t.teardown(s.close);
  const must = async (r: Promise<ApiResponse>, status: number) => {
    const res = await r;
    if (res.status !== status) throw new Error(`fixture: expected ${status}, got ${res.status} ${res.text}`);
    return res;
  };
  await must(s.api('POST', '/api/extensions', { body: extensionBody(EXT) }), 201);
  await must(s.api('POST', '/api/extensions', { body: extensionBody(SPARE) }), 201);
  await must(s.api('POST', '/api/devices', { body: { mac: MAC, vendor: 'yealink', lines: [{ extension: EXT }] } }), 201);
  const v = await must(s.api('POST', '/api/tokens', { body: { name: 'viewer', role: 'viewer' } }), 201);
  const link = await must(s.api('POST', '/api/links', { body: { extension: EXT, app: 'microsip' } }), 201);
  return { s, viewer: v.json.token as string, viewerId: v.json.id as string, linkId: link.json.id as string };
}

function call(f: Fixture, route: Route, token: string | null): Promise<ApiResponse> {
  const path = route.path.replace('{viewerId}', f.viewerId).replace('{linkId}', f.linkId);
  return f.s.api(route.method, path, route.body === undefined ? { token } : { token, body: route.body });
}

function isUnauthorized(t: ExecutionContext, r: ApiResponse, who: string): void {
  t.is(r.status, 401, `${who}: ${r.text}`);
  t.regex(r.headers.get('www-authenticate') ?? '', /^Bearer\b/i, `${who}: WWW-Authenticate`);
  t.is(r.json?.error?.code, 'unauthorized', `${who}: error code`);
}

for (const route of ROUTES) {
  test(`${route.method} ${route.path} needs ${route.role}`, async (t) => {
    const f = await fixture(t);
    // Refusals first: they must change nothing, so the admin call after them
    // still finds the fixture intact.
    isUnauthorized(t, await call(f, route, null), 'no token');
    isUnauthorized(t, await call(f, route, 'prov_not-a-real-token'), 'bad token');

    const asViewer = await call(f, route, f.viewer);
    if (route.role === 'admin') {
      t.is(asViewer.status, 403, `viewer: ${asViewer.text}`);
      t.is(asViewer.json?.error?.code, 'forbidden');
    } else {
      t.not(asViewer.status, 401, `viewer: ${asViewer.text}`);
      t.not(asViewer.status, 403, `viewer: ${asViewer.text}`);
      t.true(asViewer.status < 500, `viewer: ${asViewer.text}`);
    }

    const asAdmin = await call(f, route, f.s.adminToken);
    t.not(asAdmin.status, 401, `admin: ${asAdmin.text}`);
    t.not(asAdmin.status, 403, `admin: ${asAdmin.text}`);
    t.true(asAdmin.status < 500, `admin: ${asAdmin.text}`);
  });
}

test('the matrix lists each route once and keeps the admin-only reads admin-only', (t) => {
  const keys = ROUTES.map((r) => `${r.method} ${r.path.split('?')[0]}`);
  t.is(new Set(keys).size, keys.length);
  t.is(ROUTES.find((r) => r.method === 'GET' && r.path === '/api/tokens')?.role, 'admin');
  t.is(ROUTES.find((r) => r.method === 'GET' && r.path === '/api/audit')?.role, 'admin');
  t.is(ROUTES.find((r) => r.method === 'GET' && r.path.endsWith('/secret'))?.role, 'admin');
});

test('a refused request changes nothing and leaves no audit event', async (t) => {
  const f = await fixture(t);
  const before = (await f.s.api('GET', '/api/audit?limit=1000')).json;
  for (const route of ROUTES.filter((r) => r.role === 'admin' && r.method !== 'GET')) {
    for (const token of [null, 'prov_bad', f.viewer]) {
      const r = await call(f, route, token);
      t.true(r.status >= 400 && r.status < 500, `${route.method} ${route.path}: ${r.status}`);
    }
  }
  t.deepEqual((await f.s.api('GET', '/api/audit?limit=1000')).json, before);
  t.is((await f.s.api('GET', `/api/extensions/${SPARE}`)).status, 200);
  t.is((await f.s.api('GET', `/api/devices/${MAC}`)).json?.label, null);
  t.is((await f.s.api('GET', `/api/extensions/${EXT}/secret`)).json?.version, 1);
});

test('malformed Authorization headers are 401 with WWW-Authenticate', async (t) => {
  const f = await fixture(t);
  const headers = ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer ', `Token ${f.s.adminToken}`, f.s.adminToken];
  for (const authorization of headers) {
    const r = await f.s.api('GET', '/api/extensions', { token: null, headers: { authorization } });
    isUnauthorized(t, r, authorization.slice(0, 12));
  }
  // The scheme is case-insensitive (RFC 7235); the token itself is not.
  const lower = await f.s.api('GET', '/api/extensions', { token: null, headers: { authorization: `bearer ${f.s.adminToken}` } });
  t.is(lower.status, 200, lower.text);
  isUnauthorized(t, await f.s.api('GET', '/api/extensions', { token: f.s.adminToken.toUpperCase() }), 'upper-cased token');
});

test('PROV_ADMIN_TOKEN is accepted as an admin token', async (t) => {
  const token = 'env-admin-token-for-tests-0123456789';
  const s = await startServer({ env: { PROV_ADMIN_TOKEN: token } });
  t.teardown(s.close);
  t.is((await s.api('GET', '/api/tokens', { token })).status, 200);
  t.is((await s.api('POST', '/api/extensions', { token, body: extensionBody('3001') })).status, 201);
  isUnauthorized(t, await s.api('GET', '/api/tokens', { token: token + 'x' }), 'near-miss env token');
});

test('a revoked viewer token is refused with 401 everywhere', async (t) => {
  const f = await fixture(t);
  t.is((await f.s.api('DELETE', `/api/tokens/${f.viewerId}`)).status, 204);
  for (const route of ROUTES.filter((r) => r.role === 'viewer')) {
    isUnauthorized(t, await call(f, route, f.viewer), `${route.method} ${route.path}`);
  }
});

test('without a token no /api path, method or OPTIONS answer reveals what exists', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  for (const [method, path] of [
    ['GET', '/api/no-such-thing'],
    ['PUT', '/api/extensions'],
    ['OPTIONS', '/api/extensions'],
    ['GET', '/api'],
  ] as const) {
    const r = await s.api(method, path, { token: null });
    t.is(r.status, 401, `${method} ${path}`);
    t.is(r.headers.get('allow'), null);
  }
});

test('HEAD on the secret reveals nothing and audits nothing', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  await s.api('POST', '/api/extensions', { body: extensionBody('1001') });
  t.is((await s.api('HEAD', '/api/extensions/1001/secret')).status, 405);
  const actions = (await s.api('GET', '/api/audit')).json.map((e: { action: string }) => e.action);
  t.false(actions.includes('secret.revealed'));
});
