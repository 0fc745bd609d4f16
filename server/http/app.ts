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
import type { Store } from '../storage/store.ts';
import type { CredentialFeed } from '../pbx/credential-feed.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { adminRouter } from './admin-api.ts';
import { bearerAuth } from './auth.ts';
import { errorMiddleware } from './errors.ts';
import type { LandingView } from './landing-page.ts';
import { pbxNetworkGuard, pbxRouter } from './pbx-routes.ts';
import { phoneRouter } from './phone-routes.ts';
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
  pbxFeed: CredentialFeed;
  webhooks: Webhooks;
}

export interface AppDeps {
  services: Services;
  landingPage: (view: LandingView) => string;
  store: Store;
  log: Logger;
  guard: ScanGuard;
  /** Trust X-Forwarded-For from a reverse proxy in front of the server. */
  proxy?: boolean;
  /** PROV_PBX_NETWORKS: where the registrar feed answers from, null for anywhere. */
  pbxNetworks?: string[] | null;
}

export function createApp({ services, landingPage, store, log, guard, proxy = false, pbxNetworks = null }: AppDeps): Koa {
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
  const auth = bearerAuth(services.tokens.authenticate, guard, ['admin', 'viewer']);
  app.use((ctx, next) => (ctx.path === '/api' || ctx.path.startsWith('/api/') ? auth(ctx, next) : next()));
  // The registrar feed: its own network allow-list, then pbx tokens only.
  const pbxAuth = bearerAuth(services.tokens.authenticate, guard, ['pbx']);
  const pbxNet = pbxNetworkGuard(pbxNetworks);
  app.use((ctx, next) => (ctx.path === '/pbx' || ctx.path.startsWith('/pbx/') ? pbxNet(ctx, () => pbxAuth(ctx, next)) : next()));
  app.use(pbxRouter(services.pbxFeed).routes());
  app.use(phoneRouter(services.phone).routes());
  app.use(softphoneRouter(services.links, landingPage).routes());
  const api = adminRouter(services);
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  return app;
}
