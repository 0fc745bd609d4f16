// The admin API's route table: each route names its role, parses its input,
// calls one use case and shapes the answer. No rule lives here.
import Router from '@koa/router';
import type { Context } from 'koa';
import { parseMac } from '../domain/mac.ts';
import { AppError, NotFound } from '../domain/errors.ts';
import type { Actor, Role } from '../domain/token.ts';
import type { Services } from './app.ts';
import { requireRole } from './auth.ts';
import { readJson } from './body.ts';
import * as s from './schemas.ts';

type Handler = (ctx: Context, actor: Actor) => Promise<void>;
type Route = [method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, role: Role, handler: Handler];

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
  const { extensions, devices, deviceFiles, reloadTemplates, links, tokens, audit, webhooks, pbxFeed } = services;
  return [
    ['post', '/extensions', 'admin', async (ctx, actor) =>
      answer(ctx, 201, await extensions.create(actor, await readJson(ctx, s.createExtension)))],
    ['get', '/extensions', 'viewer', async (ctx) => answer(ctx, 200, await extensions.list())],
    ['get', '/extensions/:number', 'viewer', async (ctx) => answer(ctx, 200, await extensions.get(number(ctx)))],
    ['patch', '/extensions/:number', 'admin', async (ctx, actor) =>
      answer(ctx, 200, await extensions.update(actor, number(ctx), await readJson(ctx, s.updateExtension)))],
    ['delete', '/extensions/:number', 'admin', async (ctx, actor) => {
      await extensions.remove(actor, number(ctx));
      answer(ctx, 204);
    }],
    ['get', '/extensions/:number/secret', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 200, await extensions.revealSecret(actor, number(ctx)));
    }],
    ['put', '/extensions/:number/secret', 'admin', async (ctx, actor) => {
      const { secret, ...options } = await readJson(ctx, s.setSecret);
      answer(ctx, 200, await extensions.setSecret(actor, number(ctx), secret, options));
    }],
    ['post', '/extensions/:number/secret/generate', 'admin', async (ctx, actor) => {
      // The body is optional: an empty POST keeps working as it always did.
      const options = hasBody(ctx) ? await readJson(ctx, s.generateSecret) : {};
      answer(ctx, 200, await extensions.generateSecret(actor, number(ctx), options));
    }],

    ['post', '/devices', 'admin', async (ctx, actor) =>
      answer(ctx, 201, await devices.create(actor, await readJson(ctx, s.createDevice)))],
    ['get', '/devices', 'viewer', async (ctx) =>
      answer(ctx, 200, await devices.list(s.validate(s.deviceQuery, ctx.query)))],
    ['get', '/devices/:mac', 'viewer', async (ctx) => answer(ctx, 200, await devices.get(mac(ctx)))],
    ['patch', '/devices/:mac', 'admin', async (ctx, actor) =>
      answer(ctx, 200, await devices.update(actor, mac(ctx), await readJson(ctx, s.updateDevice)))],
    ['delete', '/devices/:mac', 'admin', async (ctx, actor) => {
      await devices.remove(actor, mac(ctx));
      answer(ctx, 204);
    }],

    ['get', '/devices/:mac/credentials', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 200, await devices.revealCredentials(actor, mac(ctx)));
    }],
    ['post', '/devices/:mac/claim', 'admin', async (ctx, actor) => answer(ctx, 200, await devices.claim(actor, mac(ctx)))],
    ['get', '/devices/:mac/files', 'viewer', async (ctx) => answer(ctx, 200, await deviceFiles.list(mac(ctx)))],
    ['get', '/devices/:mac/files/:file', 'admin', async (ctx, actor) => {
      const file = await deviceFiles.preview(actor, mac(ctx), ctx.params.file as string);
      ctx.set('Cache-Control', 'no-store');
      ctx.type = file.contentType;
      answer(ctx, 200, file.body);
    }],

    ['post', '/links', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 201, await links.create(actor, await readJson(ctx, s.createLink)));
    }],
    ['get', '/links', 'viewer', async (ctx) => answer(ctx, 200, await links.list(s.validate(s.linkQuery, ctx.query)))],
    ['delete', '/links/:id', 'admin', async (ctx, actor) => {
      await links.revoke(actor, ctx.params.id as string);
      answer(ctx, 204);
    }],

    ['post', '/templates/reload', 'admin', async (ctx, actor) => answer(ctx, 200, await reloadTemplates(actor))],

    ['post', '/tokens', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      const input = await readJson(ctx, s.createToken);
      answer(ctx, 201, await tokens.issue(actor, input.name, input.role));
    }],
    ['get', '/tokens', 'admin', async (ctx) => answer(ctx, 200, await tokens.list())],
    ['delete', '/tokens/:id', 'admin', async (ctx, actor) => {
      await tokens.remove(actor, ctx.params.id as string);
      answer(ctx, 204);
    }],

    ['post', '/webhooks', 'admin', async (ctx, actor) => {
      ctx.set('Cache-Control', 'no-store');
      answer(ctx, 201, await webhooks.create(actor, await readJson(ctx, s.createWebhook)));
    }],
    ['get', '/webhooks', 'admin', async (ctx) => answer(ctx, 200, await webhooks.list())],
    ['delete', '/webhooks/:id', 'admin', async (ctx, actor) => {
      await webhooks.remove(actor, ctx.params.id as string);
      answer(ctx, 204);
    }],
    ['get', '/webhooks/:id/deliveries', 'admin', async (ctx) =>
      answer(ctx, 200, await webhooks.deliveries(ctx.params.id as string, s.validate(s.deliveryQuery, ctx.query).limit))],
    ['get', '/pbx/lookups', 'viewer', async (ctx) => answer(ctx, 200, pbxFeed.counts())],

    ['get', '/audit', 'admin', async (ctx) => {
      const q = s.validate(s.auditQuery, ctx.query);
      answer(ctx, 200, await audit.list({ action: q.action, target: q.target, limit: q.limit, beforeId: q.before }));
    }],
  ];
}

export function adminRouter(services: Services): Router {
  const router = new Router({ prefix: '/api' });
  // The router answers HEAD with GET routes, and some GETs reveal and audit:
  // a reveal nobody reads must not happen, so the API has no HEAD at all.
  router.use(async (ctx, next) => {
    if (ctx.method === 'HEAD') throw new AppError(405, 'method-not-allowed', 'the admin API has no HEAD; use GET');
    await next();
  });
  for (const [method, path, role, handler] of adminRoutes(services)) {
    router[method](path, requireRole(role), (ctx: Context) => handler(ctx, ctx.state.actor as Actor));
  }
  return router;
}
