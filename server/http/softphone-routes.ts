// /sp: softphone links. A browser gets a landing page that uses nothing; the
// download (or any client that does not ask for HTML) gets the app's file and
// uses the link once. Every link that cannot be used is the same bare 404.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AppError } from '../domain/errors.ts';
import type { Links } from '../provisioning/links.ts';
import type { LandingView } from './landing-page.ts';

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const gone = () => new AppError(404, 'not-found', 'no such link');

/** A browser asks for HTML by name; apps and download tools do not. */
function wantsPage(ctx: Context): boolean {
  return ctx.query.download === undefined && /\btext\/html\b/i.test(ctx.get('accept'));
}

export function softphoneRouter(links: Links, page: (view: LandingView) => string): Router {
  const router = new Router({ prefix: '/sp' });
  router.get('/:token', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    // The URL is a credential: no Referer may carry it anywhere.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Robots-Tag', 'noindex');
    const token = ctx.params.token as string;
    if (!TOKEN.test(token)) throw gone();
    if (wantsPage(ctx)) {
      const view = await links.landing(token);
      if (!view) throw gone();
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page(view);
      return;
    }
    const file = await links.download(token, { ip: ctx.ip, userAgent: ctx.get('user-agent') });
    if (!file) throw gone();
    ctx.type = file.contentType;
    if (file.filename) ctx.set('Content-Disposition', `attachment; filename="${file.filename}"`);
    ctx.body = file.body;
  });
  return router;
}
