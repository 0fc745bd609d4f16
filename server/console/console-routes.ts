// The console's pages and static files at /. A page is an HTML shell with its
// forms and labels but no data: its module fetches everything from /api with
// the session cookie, so no page's HTML ever holds a secret. Who may see a
// page is checked here too, so a viewer's HTML has no secret controls at all.
import fs from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { SESSION_COOKIE } from '../http/auth.ts';
import type { Accounts, SessionActor } from './accounts.ts';
import type { ConsolePages, PageName } from './console-pages.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Reads server/console/assets once; only the files found there are ever served. */
export function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  const assets = new Map<string, { body: Buffer; type: string }>();
  for (const file of fs.readdirSync(dir)) {
    const type = ASSET_TYPES[path.extname(file)];
    if (type) assets.set(file, { body: fs.readFileSync(path.join(dir, file)), type });
  }
  return assets;
}

async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
}

export interface ConsoleRoutesDeps {
  accounts: Accounts;
  pages: ConsolePages;
  assets: Map<string, { body: Buffer; type: string }>;
}

export function consoleRouter({ accounts, pages, assets }: ConsoleRoutesDeps): Router {
  const router = new Router();
  router.use(securityHeaders);

  const person = async (ctx: Context): Promise<SessionActor | null> => {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    return cookie ? accounts.authenticate(cookie) : null;
  };

  const html = (ctx: Context, body: string, status = 200) => {
    ctx.status = status;
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  /** Sends whoever is not signed in to the setup page (no account yet) or the sign-in page. */
  const away = async (ctx: Context) => ctx.redirect((await accounts.needsSetup()) ? '/setup' : '/sign-in');

  router.get('/', async (ctx) => {
    if (await person(ctx)) return ctx.redirect('/extensions');
    await away(ctx);
  });

  router.get('/setup', async (ctx) => {
    if (!(await accounts.needsSetup())) return ctx.redirect('/sign-in');
    html(ctx, pages.render('setup', { title: 'Set up the console' }));
  });

  router.get('/sign-in', async (ctx) => {
    if (await accounts.needsSetup()) return ctx.redirect('/setup');
    if (await person(ctx)) return ctx.redirect('/extensions');
    html(ctx, pages.render('sign-in', { title: 'Sign in' }));
  });

  const page = (name: PageName, title: string, adminOnly = false) => async (ctx: Context) => {
    const who = await person(ctx);
    if (!who) return away(ctx);
    const admin = who.role === 'admin';
    if (adminOnly && !admin) {
      return html(ctx, pages.render('forbidden', { title: 'Not allowed', user: who.username, role: who.role, admin }), 403);
    }
    html(ctx, pages.render(name, { title, user: who.username, role: who.role, admin, param: ctx.params.id ?? null }));
  };

  router.get('/extensions', page('extensions', 'Extensions'));
  router.get('/extensions/:id', page('extension', 'Extension'));
  router.get('/devices', page('devices', 'Devices'));
  router.get('/devices/:id', page('device', 'Device'));
  router.get('/links', page('links', 'Softphone links'));
  router.get('/sites', page('sites', 'Sites'));
  router.get('/import', page('import', 'Import', true));
  router.get('/audit', page('audit', 'Audit log', true));
  router.get('/users', page('users', 'Users and API tokens', true));

  const serveAsset = (ctx: Context, file: string) => {
    const asset = assets.get(file);
    if (!asset) return;
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = asset.body;
  };
  router.get('/console/assets/:file', (ctx) => serveAsset(ctx, ctx.params.file as string));
  // Browsers and bookmark tools ask for /favicon.ico whatever a page links to,
  // so it is answered here too, and not only to signed-in people: an icon
  // tells nothing about the server.
  router.get('/favicon.ico', (ctx) => serveAsset(ctx, 'favicon.ico'));
  return router;
}
