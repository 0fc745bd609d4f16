// Builds the Koa application from its dependencies, and the request handler
// that puts the phone fetch lane in front of it. Neither listens: main.ts
// does, and tests drive it on port 0.
import type { RequestListener } from 'node:http';
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
import type { ReloadResult } from '../provisioning/templates-reload.ts';
import type { Network } from '../domain/ip.ts';
import type { SyncRequests } from '../notify/sync-requests.ts';
import type { Actor } from '../domain/token.ts';
import type { ScanGuard } from '../provisioning/scan-guard.ts';
import type { CaBundle } from '../render/ca-bundle.ts';
import type { Store } from '../storage/store.ts';
import type { CredentialFeed } from '../pbx/credential-feed.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { adminRouter } from './admin-api.ts';
import type { Accounts } from '../console/accounts.ts';
import { CONSOLE_ROUTES, consoleApiRouter, OPEN_ROUTES } from '../console/console-api.ts';
import type { ConsolePages } from '../console/console-pages.ts';
import { consoleRouter } from '../console/console-routes.ts';
import type { EventStreams } from '../console/event-stream.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import { apiAuth, bearerAuth } from './auth.ts';
import { clientAddressMiddleware } from './client-address.ts';
import { errorMiddleware, isApiPath, isPbxPath, knownMethods } from './errors.ts';
import type { LandingPage } from './landing-page.ts';
import { pbxNetworkGuard, pbxRouter } from './pbx-routes.ts';
import { phoneLane } from './phone-lane.ts';
import { phoneRouter } from './phone-routes.ts';
import { sipCaRouter } from './sip-ca-route.ts';
import { softphoneRouter } from './softphone-routes.ts';
import { requestLog } from './request-log.ts';

export interface Services {
  extensions: Extensions;
  devices: Devices;
  deviceFiles: DeviceFiles;
  reloadTemplates: (actor: Actor, options?: { full?: boolean }) => Promise<ReloadResult>;
  phone: PhoneRequests;
  links: Links;
  tokens: Tokens;
  audit: ReturnType<typeof createAuditReader>;
  sync: SyncRequests;
  /** The registrar's CA bundle the renders in force point phones at, or null. */
  sipCa: () => CaBundle | null;
  pbxFeed: CredentialFeed;
  webhooks: Webhooks;
}

export interface AppDeps {
  services: Services;
  landingPage: LandingPage;
  store: Store;
  log: Logger;
  guard: ScanGuard;
  /** The reverse proxies in front, whose X-Forwarded-For hops are believed. */
  trustedProxies?: Network[];
  /** PROV_PBX_NETWORKS: where the registrar feed answers from, null for anywhere. */
  pbxNetworks?: string[] | null;
  console: ConsoleDeps;
}

/** The admin console at / and its /api routes (server/console/). */
export interface ConsoleDeps {
  accounts: Accounts;
  pages: ConsolePages;
  assets: Map<string, { body: Buffer; type: string }>;
  streams: EventStreams;
  catalog: CatalogHolder;
  /** PROV_PUBLIC_URL's origin, accepted besides the request's own for cookie changes. */
  publicOrigin: string;
}

/**
 * What a listener serves: everything (one port), or the phones' part (the
 * desk phones, softphone links, the registrar feed) apart from the admins'
 * (the API and the console) when PROV_ADMIN_PORT gives those their own.
 */
export type Surface = 'all' | 'phones' | 'admin';

export function createApp({ services, landingPage, store, log, guard, trustedProxies = [], pbxNetworks = null, console }: AppDeps, surface: Surface = 'all'): Koa {
  // Koa's proxy mode stays off: it would take the leftmost X-Forwarded-For hop.
  const app = new Koa();
  // Errors are answered and logged by our middleware; Koa's default handler
  // would print a second copy.
  app.silent = true;
  app.use(clientAddressMiddleware(trustedProxies));
  app.use(requestLog(log));
  app.use(errorMiddleware);
  app.use(knownMethods);

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
  const phones = surface !== 'admin';
  const admins = surface !== 'phones';

  if (admins) {
    // Authentication comes before routing, so that without a valid token no
    // path, method or OPTIONS answer tells what the API has.
    const auth = apiAuth({
      authenticate: services.tokens.authenticate,
      authenticateSession: console.accounts.authenticate,
      guard,
      open: OPEN_ROUTES,
      origins: [console.publicOrigin],
      roles: ['admin', 'viewer'],
    });
    // Routers match paths in any letter case, so the check does too: /API/… is
    // the API and never reaches a route without an actor.
    app.use((ctx, next) => (isApiPath(ctx.path) ? auth(ctx, next) : next()));
  }
  if (phones) {
    // The registrar feed: its own network allow-list, then pbx tokens only.
    const pbxAuth = bearerAuth(services.tokens.authenticate, guard, ['pbx']);
    const pbxNet = pbxNetworkGuard(pbxNetworks);
    app.use((ctx, next) => (isPbxPath(ctx.path) ? pbxNet(ctx, () => pbxAuth(ctx, next)) : next()));
    app.use(pbxRouter(services.pbxFeed).routes());
    app.use(sipCaRouter(services.sipCa).routes());
    app.use(phoneRouter(services.phone).routes());
    app.use(softphoneRouter(services.links, landingPage).routes());
  }
  const api = admins ? adminRouter(services, CONSOLE_ROUTES) : new Router();
  if (admins) {
    app.use(consoleRouter(console).routes());
    app.use(consoleApiRouter({ accounts: console.accounts, guard, catalog: console.catalog, streams: console.streams }).routes());
    app.use(api.routes());
  }
  // One answer for a known method on a path that has no route for it, on
  // every surface: 405 with Allow (the matched routes of all routers count).
  app.use(api.allowedMethods());
  return app;
}

/** What a listener hands every request to: phone fetches by the lane, the rest by the Koa app. */
export function createHandler(deps: AppDeps, surface: Surface = 'all'): RequestListener {
  const app = createApp(deps, surface).callback();
  if (surface === 'admin') return app;
  const { services, log, trustedProxies = [] } = deps;
  return phoneLane({ phone: services.phone, sipCa: services.sipCa, log, trustedProxies }, app);
}
