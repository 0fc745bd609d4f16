// /sp: softphone links. GET and HEAD of a link always answer its landing
// page, which uses nothing: mail scanners, chat previews and download tools
// that follow a URL can neither burn a link nor receive its file. The page's
// button POSTs to the same URL; that is the one request that uses the link
// (and answers the file, or a one-use app address for apps that fetch it).
// /sp/app/<token> is such an app address: a GET serves the file once. Every
// link that cannot be used is the same bare 404.
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { AppError } from '../domain/errors.ts';
import type { Links } from '../provisioning/links/links.ts';
import { attachment, INERT_FILE_HEADERS } from './inert-file.ts';
import type { LandingPage, LandingView } from './landing-page.ts';

const TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const gone = () => new AppError(404, 'not-found', 'no such link');

function token(ctx: Context): string {
  const t = ctx.params.token as string;
  if (!TOKEN.test(t)) throw gone();
  return t;
}

const client = (ctx: Context) => ({ ip: ctx.ip, userAgent: ctx.get('user-agent') });

export function softphoneRouter(links: Links, page: LandingPage): Router {
  const router = new Router({ prefix: '/sp' });

  router.use(async (ctx: Context, next: Next) => {
    ctx.set('Cache-Control', 'no-store');
    // The URL is a credential: no Referer may carry it anywhere.
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Robots-Tag', 'noindex');
    await next();
  });

  const html = (ctx: Context, view: LandingView) => {
    ctx.set('Content-Security-Policy', page.csp);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = page.render(view);
  };

  const sendFile = (ctx: Context, file: { body: Buffer; contentType: string; filename: string | undefined }) => {
    ctx.type = file.contentType;
    ctx.set(INERT_FILE_HEADERS);
    ctx.set('Content-Disposition', attachment(file.filename));
    ctx.body = file.body;
  };

  // Registered before /:token so that "app" is never read as a token (it is too short to be one anyway).
  router.get('/app/:token', async (ctx) => {
    const t = token(ctx);
    if (ctx.method === 'HEAD') {
      // A HEAD must not use the address: it says whether it is there, and nothing more.
      if (!(await links.appUsable(t))) throw gone();
      ctx.status = 204;
      return;
    }
    const file = await links.appFetch(t, client(ctx));
    if (!file) throw gone();
    sendFile(ctx, file);
  });

  router.get('/:token', async (ctx) => {
    const view = await links.landing(token(ctx));
    if (!view) throw gone();
    html(ctx, view);
  });

  router.post('/:token', async (ctx) => {
    const t = token(ctx);
    const handoff = await links.take(t, client(ctx));
    if (!handoff) throw gone();
    if (handoff.kind === 'file') return sendFile(ctx, handoff);
    html(ctx, {
      app: handoff.app,
      instructions: [],
      expiresAt: handoff.expiresAt,
      usesLeft: 0,
      action: 'app-url',
      appUrl: handoff.url,
      qrSvg: handoff.qrSvg,
    });
  });

  return router;
}
