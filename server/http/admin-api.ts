// The admin API's route table: each route names its role, parses its input,
// calls one use case and shapes the answer. No rule lives here.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { z } from 'zod';
import { parseMac } from '../domain/mac.ts';
import { AppError, NotFound } from '../domain/errors.ts';
import type { Actor } from '../domain/token.ts';
import type { Services } from './services.ts';
import { requireRole, revealsNeedOwnOrigin } from './auth.ts';
import { readJson } from './body.ts';
import { INERT_FILE_HEADERS } from './inert-file.ts';
import { openApiDocument } from './openapi.ts';
import type { DocumentedRoute, Route } from './route-table.ts';
import { answerPage, decodeCursor } from './paging.ts';
import { siteRoutes } from './site-routes.ts';
import { bulkRoutes } from './bulk-routes.ts';
import * as s from './schemas.ts';

const query = <S extends z.ZodType>(ctx: Context, _schema: S) => ctx.state.query as z.output<S>;

const number = (ctx: Context): string => {
  const n = ctx.params.number as string;
  if (!s.extensionNumber.safeParse(n).success) throw new NotFound(`extension ${n} does not exist`, 'extension-not-found');
  return n;
};
const mac = (ctx: Context) => parseMac(ctx.params.mac as string);

const hasBody = (ctx: Context) => Boolean(ctx.request.type) || (ctx.request.length ?? 0) > 0;

function answer(ctx: Context, status: number, body?: unknown): void {
  ctx.status = status;
  if (body !== undefined) ctx.body = body;
}

export function adminRoutes(services: Services): Route[] {
  const { extensions, devices, deviceFiles, reloadTemplates, links, tokens, audit, sync, webhooks, pbxFeed } = services;
  return [
    ['post', '/extensions', 'admin', async (ctx, actor) =>
      answer(ctx, 201, await extensions.create(actor, await readJson(ctx, s.createExtension))),
      { summary: 'create an extension', body: s.createExtension, status: 201 }],
    ['get', '/extensions', 'viewer', async (ctx) => {
      const { cursor, ...q } = query(ctx, s.extensionQuery);
      answerPage(ctx, await extensions.page({ q: q.q, limit: q.limit, after: decodeCursor(cursor) }));
    }, { summary: 'list extensions, paged', query: s.extensionQuery }],
    ['get', '/extensions/:number', 'viewer', async (ctx) => answer(ctx, 200, await extensions.get(number(ctx))),
      { summary: 'one extension with its devices and links' }],
    ['patch', '/extensions/:number', 'admin', async (ctx, actor) =>
      answer(ctx, 200, await extensions.update(actor, number(ctx), await readJson(ctx, s.updateExtension))),
      { summary: 'change non-secret fields', body: s.updateExtension }],
    ['delete', '/extensions/:number', 'admin', async (ctx, actor) => {
      await extensions.remove(actor, number(ctx));
      answer(ctx, 204);
    }, { summary: 'delete an extension no device uses', status: 204 }],
    ['get', '/extensions/:number/secret', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 200, await extensions.revealSecret(actor, number(ctx), query(ctx, s.revealQuery).purpose));
    }, { summary: 'reveal the SIP secret (audited; ?purpose=copy for the console copy)', query: s.revealQuery, reveals: true }],
    ['put', '/extensions/:number/secret', 'admin', async (ctx, actor) => {
      const { secret, ...options } = await readJson(ctx, s.setSecret);
      answer(ctx, 200, await extensions.setSecret(actor, number(ctx), secret, options));
    }, { summary: 'set a chosen secret (revokePrevious drops the old one from the registrar feed at once)', body: s.setSecret }],
    ['post', '/extensions/:number/secret/generate', 'admin', async (ctx, actor) => {
      // The body is optional: an empty POST keeps working as it always did.
      const options = hasBody(ctx) ? await readJson(ctx, s.generateSecret) : {};
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 200, await extensions.generateSecret(actor, number(ctx), options));
    }, { summary: 'generate a new secret, answered once to the admin who generated it (audited as shown)', body: s.generateSecret, reveals: true }],

    ['post', '/devices', 'admin', async (ctx, actor) =>
      answer(ctx, 201, await devices.create(actor, await readJson(ctx, s.createDevice))),
      { summary: 'create a device', body: s.createDevice, status: 201 }],
    ['get', '/devices', 'viewer', async (ctx) => {
      // Filters pass through by name, so a parameter added to deviceQuery reaches the use case as it is.
      const { cursor, limit, ...filter } = query(ctx, s.deviceQuery);
      answerPage(ctx, await devices.page(filter, { limit, after: decodeCursor(cursor) }));
    }, { summary: 'list devices, paged', query: s.deviceQuery }],
    ['get', '/devices/:mac', 'viewer', async (ctx) => answer(ctx, 200, await devices.get(mac(ctx))), { summary: 'one device' }],
    ['patch', '/devices/:mac', 'admin', async (ctx, actor) =>
      answer(ctx, 200, await devices.update(actor, mac(ctx), await readJson(ctx, s.updateDevice))),
      { summary: 'change vendor, model, label or lines', body: s.updateDevice }],
    ['delete', '/devices/:mac', 'admin', async (ctx, actor) => {
      await devices.remove(actor, mac(ctx));
      answer(ctx, 204);
    }, { summary: 'delete a device', status: 204 }],

    ['get', '/devices/:mac/credentials', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 200, await devices.revealCredentials(actor, mac(ctx)));
    }, { summary: "reveal the device's provisioning credentials (audited)", reveals: true }],
    ['post', '/devices/:mac/sync', 'admin', async (ctx, actor) => answer(ctx, 202, await sync.device(actor, mac(ctx))),
      { summary: 'queue a check-sync NOTIFY for the device now', status: 202 }],
    ['post', '/extensions/:number/sync', 'admin', async (ctx, actor) => answer(ctx, 202, await sync.extension(actor, number(ctx))),
      { summary: "queue a check-sync NOTIFY for every device on the extension now", status: 202 }],
    ['post', '/devices/:mac/claim', 'admin', async (ctx, actor) => answer(ctx, 200, await devices.claim(actor, mac(ctx))),
      { summary: 're-open the claim window (issues a new provisioning password)' }],
    ['post', '/devices/:mac/credentials/rotate', 'admin', async (ctx, actor) => {
      // The body is optional: no body is a rotation that keeps the old password until the phone fetched.
      const empty = ctx.request.length === 0 || (ctx.request.length === undefined && !ctx.get('transfer-encoding'));
      const input = empty ? {} : await readJson(ctx, s.rotateCredentials);
      answer(ctx, 200, await devices.rotateCredentials(actor, mac(ctx), input));
    }, { summary: 'issue a new provisioning password', body: s.rotateCredentials }],
    ['get', '/devices/:mac/files', 'viewer', async (ctx) => answer(ctx, 200, await deviceFiles.list(mac(ctx))),
      { summary: 'the files this device fetches' }],
    ['get', '/devices/:mac/files/:file', 'admin', async (ctx, actor) => {
      const { masked } = query(ctx, s.previewQuery);
      const file = await deviceFiles.preview(actor, mac(ctx), ctx.params.file as string, { masked });
      ctx.set('Cache-Control', 'no-store');
      // A phone's file on the console's own origin: never a page.
      ctx.set(INERT_FILE_HEADERS);
      ctx.type = file.contentType;
      answer(ctx, 200, file.body);
    }, { summary: 'a rendered file (audited; ?masked=true replaces every secret it carries)', query: s.previewQuery, reveals: true }],

    ['post', '/links', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 201, await links.create(actor, await readJson(ctx, s.createLink)));
    }, { summary: 'create a softphone link', body: s.createLink, status: 201 }],
    ['get', '/links', 'viewer', async (ctx) => answer(ctx, 200, await links.list(query(ctx, s.linkQuery))),
      { summary: 'softphone links, never their tokens', query: s.linkQuery }],
    ['delete', '/links/:id', 'admin', async (ctx, actor) => {
      await links.revoke(actor, ctx.params.id as string);
      answer(ctx, 204);
    }, { summary: 'revoke a link', status: 204 }],

    ['post', '/templates/reload', 'admin', async (ctx, actor) =>
      answer(ctx, 200, await reloadTemplates(actor, query(ctx, s.reloadQuery))),
      { summary: 're-read templates and vendor profiles', query: s.reloadQuery }],

    ['post', '/tokens', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      const input = await readJson(ctx, s.createToken);
      answer(ctx, 201, await tokens.issue(actor, input.name, input.role, input.realms));
    }, { summary: 'issue an API token (shown once)', body: s.createToken, status: 201 }],
    ['get', '/tokens', 'admin', async (ctx) => answer(ctx, 200, await tokens.list()), { summary: 'tokens without their values' }],
    ['delete', '/tokens/:id', 'admin', async (ctx, actor) => {
      await tokens.remove(actor, ctx.params.id as string);
      answer(ctx, 204);
    }, { summary: 'revoke a token', status: 204 }],

    ['post', '/webhooks', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 201, await webhooks.create(actor, await readJson(ctx, s.createWebhook)));
    }, { summary: 'subscribe a receiver to events; its signing secret is shown this once', body: s.createWebhook, status: 201 }],
    ['get', '/webhooks', 'admin', async (ctx) => answer(ctx, 200, await webhooks.list()), { summary: 'webhooks, without their secrets' }],
    ['delete', '/webhooks/:id', 'admin', async (ctx, actor) => {
      await webhooks.remove(actor, ctx.params.id as string);
      answer(ctx, 204);
    }, { summary: 'delete a webhook and its delivery log', status: 204 }],
    ['get', '/webhooks/:id/deliveries', 'admin', async (ctx) =>
      answer(ctx, 200, await webhooks.deliveries(ctx.params.id as string, query(ctx, s.deliveryQuery).limit)),
      { summary: "a webhook's delivery log, newest first", query: s.deliveryQuery }],
    ['get', '/pbx/lookups', 'viewer', async (ctx) => answer(ctx, 200, pbxFeed.counts()),
      { summary: "this instance's registrar feed lookup counts" }],

    ['get', '/audit', 'admin', async (ctx) => {
      const q = query(ctx, s.auditQuery);
      answer(ctx, 200, await audit.list({ action: q.action, actionPrefix: q.actionPrefix, target: q.target, since: q.since, until: q.until, limit: q.limit, beforeId: q.before }));
    }, { summary: 'audit events, newest first', query: s.auditQuery }],
    ...siteRoutes(services.sites),
    ...bulkRoutes(services.import, services.export),
  ];
}

/**
 * The whole route table: the use cases' routes and the document that
 * describes them all, with the routes other routers serve under /api.
 */
function allRoutes(services: Services, served: readonly DocumentedRoute[]): Route[] {
  const routes = adminRoutes(services);
  let document: unknown;
  routes.push(['get', '/openapi.json', 'viewer', async (ctx) => {
    // Built on first use, from the table as it is, so every route added to it is in the document.
    document ??= openApiDocument([...routes, ...served], '/api');
    answer(ctx, 200, document);
  }, { summary: 'this document' }]);
  return routes;
}

/** `elsewhere`: routes other routers serve under /api, for the OpenAPI document. */
export function adminRouter(services: Services, elsewhere: readonly DocumentedRoute[] = []): Router {
  const router = new Router({ prefix: '/api' });
  // The router answers HEAD with GET routes, and some GETs reveal and audit:
  // a reveal nobody reads must not happen, so the API has no HEAD at all.
  router.use(async (ctx, next) => {
    if (ctx.method === 'HEAD') {
      const allowed = new Set(router.match(ctx.path, 'GET').path.flatMap((layer) => layer.methods));
      allowed.delete('HEAD');
      if (allowed.size) ctx.set('Allow', [...allowed].join(', '));
      throw new AppError(405, 'method-not-allowed', 'the admin API has no HEAD; use GET');
    }
    await next();
  });
  for (const [method, path, role, handler, doc] of allRoutes(services, elsewhere)) {
    const schema = doc?.query ?? s.noQuery;
    const guards = doc?.reveals ? [requireRole(role), revealsNeedOwnOrigin] : [requireRole(role)];
    router[method](path, ...guards, (ctx: Context) => {
      ctx.state.query = s.validate(schema, ctx.query);
      return handler(ctx, ctx.state.actor as Actor);
    });
  }
  return router;
}
