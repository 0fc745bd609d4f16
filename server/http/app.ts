// Builds the Koa application from its dependencies. It never listens: main.ts
// does, and tests drive it on port 0.
import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import type { createAuditReader } from '../provisioning/audit.ts';
import type { DeviceFiles } from '../provisioning/device-files.ts';
import type { Devices } from '../provisioning/devices.ts';
import type { Links } from '../provisioning/links.ts';
import type { PhoneRequests } from '../provisioning/phone-requests.ts';
import type { Extensions } from '../provisioning/extensions.ts';
import type { Tokens } from '../provisioning/tokens.ts';
import type { Actor } from '../domain/token.ts';
import type { ScanGuard } from '../provisioning/scan-guard.ts';
import type { CaBundle } from '../render/ca-bundle.ts';
import type { Store } from '../storage/store.ts';
import { adminRouter } from './admin-api.ts';
import { bearerAuth } from './auth.ts';
import { errorMiddleware } from './errors.ts';
import type { LandingView } from './landing-page.ts';
import { phoneRouter } from './phone-routes.ts';
import { sipCaRouter } from './sip-ca-route.ts';
import { softphoneRouter } from './softphone-routes.ts';
import { requestLog } from './request-log.ts';

export interface Services {
  extensions: Extensions;
  devices: Devices;
  deviceFiles: DeviceFiles;
  reloadTemplates: (actor: Actor) => Promise<{ changedFiles: number; changedDevices: number }>;
  phone: PhoneRequests;
  links: Links;
  tokens: Tokens;
  audit: ReturnType<typeof createAuditReader>;
  /** The registrar's CA bundle the renders in force point phones at, or null. */
  sipCa: () => CaBundle | null;
}

export interface AppDeps {
  services: Services;
  landingPage: (view: LandingView) => string;
  store: Store;
  log: Logger;
  guard: ScanGuard;
  /** Trust X-Forwarded-For from a reverse proxy in front of the server. */
  proxy?: boolean;
}

export function createApp({ services, landingPage, store, log, guard, proxy = false }: AppDeps): Koa {
  const app = new Koa({ proxy });
  // Errors are answered and logged by our middleware; Koa's default handler
  // would print a second copy.
  app.silent = true;
  app.use(requestLog(log));
  app.use(errorMiddleware);

  const health = new Router();
  health.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  health.get('/readyz', async (ctx) => {
    try {
      await store.ping();
      ctx.body = { status: 'ready' };
    } catch {
      ctx.status = 503;
      ctx.body = { status: 'store-unavailable' };
    }
  });
  app.use(health.routes());

  // Authentication comes before routing, so that without a valid token no
  // path, method or OPTIONS answer tells what the API has.
  const auth = bearerAuth(services.tokens.authenticate, guard);
  app.use((ctx, next) => (ctx.path === '/api' || ctx.path.startsWith('/api/') ? auth(ctx, next) : next()));
  app.use(sipCaRouter(services.sipCa).routes());
  app.use(phoneRouter(services.phone).routes());
  app.use(softphoneRouter(services.links, landingPage).routes());
  const api = adminRouter(services);
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  return app;
}
