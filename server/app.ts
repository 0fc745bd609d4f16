// Builds the Koa application from its dependencies: every surface's routers
// (http/ for phones, softphone links, the registrar feed and the API;
// console/ for the console), and the request handler that puts the phone
// fetch lane in front of them. Neither listens: http/listeners.ts does, and
// tests drive it on port 0.
import type { RequestListener } from 'node:http';
import Koa from 'koa';
import Router from '@koa/router';
import { adminRouter } from './http/admin-api.ts';
import { CONSOLE_ROUTES, consoleApiRouter, OPEN_ROUTES } from './console/console-api.ts';
import { consoleRouter } from './console/console-routes.ts';
import { apiAuth, bearerAuth } from './http/auth.ts';
import { clientAddressMiddleware } from './http/client-address.ts';
import { errorMiddleware, isApiPath, isPbxPath, knownMethods } from './http/errors.ts';
import { pbxNetworkGuard, pbxRouter } from './http/pbx-routes.ts';
import { phoneLane } from './http/phone-lane.ts';
import { phoneRouter } from './http/phone-routes.ts';
import { sipCaRouter } from './http/sip-ca-route.ts';
import { softphoneRouter } from './http/softphone-routes.ts';
import { requestLog } from './http/request-log.ts';
import type { LandingPage } from './http/landing-page.ts';
import type { Services } from './http/services.ts';
import type { Accounts } from './console/accounts.ts';
import type { ConsolePages } from './console/console-pages.ts';
import type { EventStreams } from './console/event-stream.ts';
import type { ServerFacts } from './console/server-facts.ts';
import type { Network } from './domain/ip.ts';
import type { ScanGuard } from './provisioning/phones/scan-guard.ts';
import type { CatalogHolder } from './render/catalog.ts';
import type { Store } from './storage/store.ts';
import type { Logger } from 'pino';

/** What createApp is given, built by the composition root (assemble.ts). */
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
  server: ServerFacts;
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
    app.use(pbxRouter(services.pbxFeed, services.registrations).routes());
    app.use(sipCaRouter(services.sipCa).routes());
    app.use(phoneRouter(services.phone).routes());
    app.use(softphoneRouter(services.links, landingPage).routes());
  }
  const api = admins ? adminRouter(services, CONSOLE_ROUTES) : new Router();
  if (admins) {
    app.use(consoleRouter(console).routes());
    app.use(consoleApiRouter({ accounts: console.accounts, guard, catalog: console.catalog, streams: console.streams, server: console.server }).routes());
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
