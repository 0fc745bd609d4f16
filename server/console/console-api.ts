// The console's own routes under /api: setup, sign-in and sign-out, users,
// the vendor profiles the forms choose from, and the live event stream. Like
// every /api route they answer JSON and take a token as well as the cookie.
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, Unauthorized } from '../domain/errors.ts';
import { ROLES, type Actor } from '../domain/token.ts';
import { USERNAME, USERNAME_RULE } from '../domain/user.ts';
import { requireRole, SESSION_COOKIE } from '../http/auth.ts';
import { readJson } from '../http/body.ts';
import type { DocumentedRoute } from '../http/route-table.ts';
import type { ScanGuard } from '../provisioning/phones/scan-guard.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { Accounts } from './accounts.ts';
import type { EventStreams } from './event-stream.ts';
import { serverView, type ServerFacts } from './server-facts.ts';

/** The /api routes that answer without anyone signed in. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['POST /api/session', 'POST /api/setup']);

const username = z.string().regex(USERNAME, USERNAME_RULE);
// Lengths are the accounts' rule; here only that it is text of a sane size.
const password = z.string().max(1024);
const setupBody = z.strictObject({ setupCode: z.string().min(1).max(1024), username, password });
const signInBody = z.strictObject({ username: z.string().max(64), password });
// People are admins or viewers; a pbx role is a registrar's token, never a person who signs in.
const PERSON_ROLES = ROLES.filter((r) => r !== 'pbx') as ['admin', 'viewer'];
const personRole = z.enum(PERSON_ROLES, { error: 'must be admin or viewer' });
const newUser = z.strictObject({ username, role: personRole, password });
const userPatch = z.strictObject({ role: personRole.optional(), password: password.optional() });

/** What consoleApiRouter serves, for the API's OpenAPI document (a test holds the two together). */
export const CONSOLE_ROUTES: readonly DocumentedRoute[] = [
  ['post', '/setup', 'open', null, { summary: 'create the first console admin with the setup code; signs in', body: setupBody, status: 201 }],
  ['post', '/session', 'open', null, { summary: 'sign in: sets the session cookie', body: signInBody, status: 201 }],
  ['get', '/session', 'viewer', null, { summary: 'who the caller is' }],
  ['delete', '/session', 'viewer', null, { summary: 'sign out', status: 204 }],
  ['get', '/users', 'admin', null, { summary: 'console accounts, never a password or hash' }],
  ['post', '/users', 'admin', null, { summary: 'create a console account', body: newUser, status: 201 }],
  ['patch', '/users/:username', 'admin', null, { summary: "change an account's role or password; signs it out everywhere", body: userPatch }],
  ['delete', '/users/:username', 'admin', null, { summary: 'delete a console account', status: 204 }],
  ['get', '/profiles', 'viewer', null, { summary: 'vendors and models the forms choose from' }],
  ['get', '/events', 'viewer', null, { summary: 'server-sent events: device status, notify outcomes, extensions, links' }],
  ['get', '/server', 'viewer', null, { summary: 'the provisioning URL to give phones, setup hints per vendor, URL warnings, the push mode' }],
];

export interface ConsoleApiDeps {
  accounts: Accounts;
  guard: ScanGuard;
  catalog: CatalogHolder;
  streams: EventStreams;
  server: ServerFacts;
}

function setSessionCookie(ctx: Context, id: string, maxHours: number): void {
  ctx.cookies.set(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: ctx.secure,
    path: '/',
    maxAge: maxHours * 3_600_000,
    overwrite: true,
  });
}

function clearSessionCookie(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', secure: ctx.secure, path: '/', maxAge: 0 });
}

function refuseWhileCooling(ctx: Context, guard: ScanGuard): void {
  if (guard.refuses(ctx.ip, 'api')) throw new AppError(429, 'too-many-requests', 'too many failed attempts; try again later');
}

export function consoleApiRouter({ accounts, guard, catalog, streams, server }: ConsoleApiDeps): Router {
  const router = new Router({ prefix: '/api' });
  const actor = (ctx: Context) => ctx.state.actor as Actor & { username?: string };
  router.use(async (ctx, next) => {
    if (ctx.method === 'HEAD') throw new AppError(405, 'method-not-allowed', 'the admin API has no HEAD; use GET');
    await next();
  });

  router.post('/setup', async (ctx) => {
    refuseWhileCooling(ctx, guard);
    const input = await readJson(ctx, setupBody);
    const done = await accounts.setup(input.setupCode, input);
    if (!done) {
      guard.strike(ctx.ip, 'bad-password');
      throw new AppError(401, 'bad-setup-code', 'the setup code is not valid; it is in the admin-token file of the data directory');
    }
    setSessionCookie(ctx, done.sessionId, accounts.limits.maxHours);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = done.user;
  });

  router.post('/session', async (ctx) => {
    refuseWhileCooling(ctx, guard);
    const input = await readJson(ctx, signInBody);
    const done = await accounts.signIn(input.username, input.password);
    if (!done) {
      guard.strike(ctx.ip, 'bad-password');
      throw new Unauthorized('the username or the password is wrong');
    }
    setSessionCookie(ctx, done.sessionId, accounts.limits.maxHours);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = done.user;
  });

  router.get('/session', requireRole('viewer'), (ctx) => {
    const a = actor(ctx);
    ctx.body = { actor: a.name, username: a.username ?? null, role: a.role };
  });

  router.delete('/session', requireRole('viewer'), async (ctx) => {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    if (cookie) await accounts.signOut(cookie);
    clearSessionCookie(ctx);
    ctx.status = 204;
  });

  router.get('/users', requireRole('admin'), async (ctx) => {
    ctx.body = await accounts.list();
  });
  router.post('/users', requireRole('admin'), async (ctx) => {
    const input = await readJson(ctx, newUser);
    ctx.status = 201;
    ctx.body = await accounts.create(actor(ctx), input);
  });
  router.patch('/users/:username', requireRole('admin'), async (ctx) => {
    ctx.body = await accounts.update(actor(ctx), ctx.params.username as string, await readJson(ctx, userPatch));
  });
  router.delete('/users/:username', requireRole('admin'), async (ctx) => {
    await accounts.remove(actor(ctx), ctx.params.username as string);
    ctx.status = 204;
  });

  router.get('/profiles', requireRole('viewer'), (ctx) => {
    const profiles = catalog.current().profiles;
    ctx.body = profiles.all().map((p) => ({
      id: p.id,
      name: p.name,
      kind: p.kind,
      maxLines: p.maxLines,
      models: Object.entries(p.models).map(([name, m]) => ({ name, lines: m.lines })),
    }));
  });

  router.get('/server', requireRole('viewer'), (ctx) => {
    ctx.body = serverView(server, catalog.current().profiles);
  });

  router.get('/events', requireRole('viewer'), (ctx) => streams.open(ctx));
  return router;
}
