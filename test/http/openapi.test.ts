// The OpenAPI document the server publishes: valid OpenAPI 3.1 (checked by a
// validator against the specification's own schema), and naming every route
// and method the admin router serves, with the list taken from the router.
import test from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { CONSOLE_ROUTES, consoleApiRouter, type ConsoleApiDeps } from '../../server/console/console-api.ts';
import { adminRouter } from '../../server/http/admin-api.ts';
import type { Services } from '../../server/http/services.ts';
import { startServer } from '../helpers/server.ts';

/** Every (method, path) the /api routers have a route for, as OpenAPI spells it. */
function served(): string[] {
  // Building the routes calls no service, so none is needed to read the tables.
  const routers = [adminRouter({} as Services, CONSOLE_ROUTES), consoleApiRouter({} as ConsoleApiDeps)];
  return routers
    .flatMap((router) => router.stack)
    .filter((layer) => layer.methods.length > 0)
    .flatMap((layer) =>
      layer.methods
        .filter((m) => m !== 'HEAD')
        .map((m) => `${m.toLowerCase()} ${String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    )
    .sort();
}

test('GET /api/openapi.json is valid OpenAPI 3.1 and names every route the router serves', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  const r = await s.api('GET', '/api/openapi.json');
  t.is(r.status, 200);
  const doc = r.json;
  t.is(doc.openapi, '3.1.0');
  const result = await new Validator().validate(doc);
  t.true(result.valid, JSON.stringify(result.errors));

  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`))
    .sort();
  const routes = served();
  t.true(routes.length >= 25, `the router has ${routes.length} routes`);
  t.deepEqual(documented, routes);
  t.true(routes.includes('get /api/openapi.json'));

  // Built from the request schemas: a body's unknown fields are refused in both.
  const create = doc.paths['/api/extensions'].post.requestBody.content['application/json'].schema;
  t.is(create.additionalProperties, false);
  t.deepEqual(create.required, ['number']);
  const list = doc.paths['/api/devices'].get.parameters.map((p: { name: string }) => p.name);
  t.deepEqual(list.sort(), ['cursor', 'extension', 'limit', 'notify', 'q', 'registration', 'status', 'vendor']);
  const secret = doc.paths['/api/extensions/{number}/secret'].get;
  t.is(secret['x-role'], 'admin');
  // The console's routes are in it too; signing in needs no token.
  t.deepEqual(doc.paths['/api/session'].post.security, []);
  t.deepEqual(doc.paths['/api/session'].post.requestBody.content['application/json'].schema.required, ['username', 'password']);
  t.deepEqual(secret.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['path:number', 'query:purpose']);
});

test('the document needs a token like the rest of the API', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  t.is((await s.api('GET', '/api/openapi.json', { token: null })).status, 401);
  const viewer = (await s.api('POST', '/api/tokens', { body: { name: 'docs', role: 'viewer' } })).json.token;
  t.is((await s.api('GET', '/api/openapi.json', { token: viewer })).status, 200);
});
