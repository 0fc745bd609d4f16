// The composition root: the only module that wires configuration, store,
// services and HTTP together, and the process entry point.
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig, prepareDataDir, type Config } from './config.ts';
import type { Mac } from './domain/mac.ts';
import { createNonceBook } from './domain/digest.ts';
import { createSecretBox, deriveKey } from './domain/secret-box.ts';
import { createAccounts } from './console/accounts.ts';
import { loadConsolePages } from './console/console-pages.ts';
import { loadAssets } from './console/console-routes.ts';
import { createEventStreams } from './console/event-stream.ts';
import type { Actor } from './domain/token.ts';
import { relayedBus } from './cluster/event-relay.ts';
import { createLink, type Link } from './cluster/link.ts';
import { watchLoopDelay } from './cluster/loop-delay.ts';
import { FLUSH_CALL, GO_CALL, RELOAD_CALL, startPrimary, SWAP_CALL, SYNC_CALL } from './cluster/primary.ts';
import { createSharedNonceBook } from './cluster/shared-nonce-book.ts';
import { createSharedScanGuard } from './cluster/shared-scan-guard.ts';
import { askPrimary, throughPrimary } from './cluster/through-primary.ts';
import { createHandler, type AppDeps } from './http/app.ts';
import { guardConnections } from './http/connection-guard.ts';
import { loadLandingPage } from './http/landing-page.ts';
import { createSweepJob } from './jobs/sweep-job.ts';
import { createAuditReader } from './provisioning/audit.ts';
import { allOf, createChangeRunner } from './provisioning/change-runner.ts';
import { createDeviceFiles } from './provisioning/device-files.ts';
import { createDevices } from './provisioning/devices.ts';
import { createEventBus, type EventBus } from './provisioning/events.ts';
import { createFetchCoalescer, withCoalescedFetches, type FetchCoalescer } from './provisioning/fetch-records.ts';
import { createFirmwareLearning, type Learnt } from './provisioning/firmware-learning.ts';
import { createCachingBox } from './provisioning/opened-cache.ts';
import { createExtensions } from './provisioning/extensions.ts';
import { createLinks } from './provisioning/links.ts';
import { createOverrideScrubber } from './provisioning/override-scrub.ts';
import { createPhoneAccess } from './provisioning/phone-access.ts';
import { createPhoneRequests } from './provisioning/phone-requests.ts';
import { reconcile } from './provisioning/reconcile.ts';
import { createScanGuard } from './provisioning/scan-guard.ts';
import { createRerenderer } from './provisioning/rerender.ts';
import { createTemplatesReload, type ReloadResult } from './provisioning/templates-reload.ts';
import { createTokens } from './provisioning/tokens.ts';
import { openNotifier } from './notify/open-notifier.ts';
import { createSyncRequests } from './notify/sync-requests.ts';
import { holdCatalog, loadCatalog } from './render/catalog.ts';
import { checkSecretKey, loadSecretKey } from './storage/secret-key.ts';
import { createCredentialFeed } from './pbx/credential-feed.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import { createWebhooks } from './webhooks/webhooks.ts';
import { openSqliteStore } from './storage/sqlite-store.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AssembleOptions {
  log: Logger;
  clock?: () => Date;
  /** The start-up reconcile runs after assemble returns (`reconciled` tells when), so the caller can listen at once. */
  background?: boolean;
  /** In a cluster worker: the link to the primary, which hosts the shared state and the whole-fleet work. */
  worker?: { link: Link; id: number };
  /** The bus to publish on, when the caller relays it (the primary). */
  events?: EventBus;
  /** With `background`: the reconcile waits for this (the primary: its workers listening), not to compete with their start. */
  reconcileAfter?: Promise<void>;
  /** The primary: has every worker hand over the fetch records it holds, for a read of fetch state. */
  collect?: () => Promise<void>;
}

/** Everything the server is, built and ready to listen; close() releases it. */
export async function assemble(config: Config, { log, clock = () => new Date(), background = false, worker, events: givenBus, reconcileAfter, collect }: AssembleOptions) {
  prepareDataDir(config.dataDir);
  if (config.templatesDir && !fs.statSync(config.templatesDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('PROV_TEMPLATES_DIR', `is not a directory: ${config.templatesDir}`);
  }
  const load = (validate = true) =>
    loadCatalog({ root: ROOT, overrideDir: config.templatesDir, publicUrl: config.publicUrl, sipCaFile: config.sipCaFile, validate });
  // A worker starts after the primary has loaded and proven the same sources.
  const catalog = holdCatalog(load(!worker));
  for (const file of catalog.current().unmatchedOverrides) {
    log.warn({ file, dir: config.templatesDir }, 'a template override matches no vendor, template or model and is never used');
  }
  const key = loadSecretKey(config.secretKey, config.dataDir);
  const box = createSecretBox(key);
  const guard = worker
    ? createSharedScanGuard(config.scan, clock, log, worker.link)
    : createScanGuard(config.scan, clock, log);
  log.info(
    {
      claimNetworks: config.claimNetworks.map((n) => n.text),
      trustedProxies: config.trustedProxies.map((n) => n.text),
      claimMinutes: config.claimMinutes,
    },
    'phone access: claims only from these networks; X-Forwarded-For believed only from these proxies',
  );
  // Which store is the only thing here that knows: everything past this line sees the Store port.
  // The MongoDB driver is loaded only when it is used: it is a fifth of each process's start.
  const engine = config.mongo
    ? await (await import('./storage/mongo-store.ts')).openMongoStore(config.mongo)
    : openSqliteStore(config.dataDir);
  try {
    await checkSecretKey(engine, box);
  } catch (err) {
    await engine.close();
    throw err;
  }
  // Fetch records are coalesced off the request path: a worker hands them to
  // the primary, which writes them with its own.
  const fetches: FetchCoalescer | null = worker ? null : createFetchCoalescer(engine, log);
  const sink = worker
    ? (mac: string, fetch: unknown) => worker.link.post({ k: 'fetch', mac, fetch })
    : (mac: string, fetch: Parameters<FetchCoalescer['add']>[1]) => fetches!.add(mac, fetch);
  // Learnt firmware too (firmware-learning.ts): the primary, or the one process, stores it.
  const learning = worker ? null : createFirmwareLearning({ store: engine, runChange: (plan) => runChange(plan), log });
  const learnFirmware = worker
    ? (mac: string, learnt: Learnt) => worker.link.post({ k: 'learnt', mac, learnt })
    : (mac: string, learnt: Learnt) => learning!.add(mac, learnt);
  // What the admin reads waits for both: a fetch's record and what it taught.
  const barrier = worker
    ? () => worker.link.call<void>(FLUSH_CALL)
    : async () => {
        await fetches!.flush();
        await learning!.flush();
      };
  const store = withCoalescedFetches(engine, sink, barrier);
  // The phone path neither waits for the barrier nor opens the same sealed value twice.
  const phoneStore = withCoalescedFetches(engine, sink);
  // For the device passwords a phone's credentials are checked against.
  const phoneBox = createCachingBox(box);
  // Rendering reads no fetch state (and a device write leaves it alone), so
  // it skips the barrier too: across workers each read behind it is a round
  // trip to the primary, and a change on a 50-device extension read 51.
  const rerenderer = createRerenderer({ store: phoneStore, box, catalog, clock });
  const ownBus = givenBus ?? createEventBus((err, event) => log.error({ err, event: event.type }, 'an event listener failed'));
  const events = worker ? relayedBus(ownBus, worker.link) : ownBus;
  const runChange = createChangeRunner(store, allOf(rerenderer.hook, createOverrideScrubber(store, box, catalog)), events);
  const instance = randomUUID();
  // Listens before the start-up reconcile below, so what it re-renders is pushed too.
  // Events reach every process of an instance: the primary (or the one process) hosts the notifier.
  let notify: Awaited<ReturnType<typeof openNotifier>> = null;
  try {
    if (!worker) notify = await openNotifier({ config: config.notify, store, box, catalog, events, log, holder: instance });
  } catch (err) {
    await store.close();
    throw new ConfigError('PROV_NOTIFY_BIND', `or PROV_NOTIFY_PORT cannot be bound (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const extensions = createExtensions({ store, settled: collect, box, clock, runChange, rotationGraceMinutes: config.rotationGraceMinutes });
  const devices = createDevices({ store, settled: collect, catalog, clock, runChange, box, claimMinutes: config.claimMinutes });
  const services = {
    // A worker hands these to the primary, where fetch state is read without a round trip per read.
    extensions: worker ? throughPrimary(worker.link, 'extensions', extensions) : extensions,
    devices: worker ? throughPrimary(worker.link, 'devices', devices) : devices,
    deviceFiles: createDeviceFiles({ store, box, catalog, clock, runChange }),
    reloadTemplates: worker
      ? (actor: Actor, { full = false }: { full?: boolean } = {}) => askPrimary<ReloadResult>(worker.link, RELOAD_CALL, { actor, full })
      : createTemplatesReload({ catalog, load, rerenderer, runChange, clock }),
    phone: createPhoneRequests({
      store: phoneStore,
      // Its served-bytes cache is the one copy of an opened body it keeps.
      box,
      catalog,
      clock,
      runChange,
      log,
      events,
      access: createPhoneAccess({
        store: phoneStore,
        box: phoneBox,
        catalog,
        nonces: worker
          ? createSharedNonceBook(deriveKey(key, 'digest-nonces'), clock, config.nonceSeconds, worker.id, worker.link)
          : createNonceBook(deriveKey(key, 'digest-nonces'), clock, config.nonceSeconds),
        guard,
        clock,
        allowBasicOverHttp: config.allowBasicOverHttp,
        claimNetworks: config.claimNetworks,
      }),
      maxUnassigned: config.maxUnassigned,
      learnFirmware,
    }),
    links: createLinks({
      store,
      box,
      catalog,
      clock,
      runChange,
      publicUrl: config.publicUrl,
      defaults: { expiresInMinutes: config.linkExpiryMinutes, maxUses: config.linkMaxUses },
    }),
    tokens: createTokens({ store, clock, runChange, envAdminToken: config.adminToken }),
    audit: createAuditReader(store),
    sync: worker ? syncThroughPrimary(worker.link) : createSyncRequests({ store, clock, runChange, notifier: notify?.notifier ?? null }),
    sipCa: () => catalog.current().sipCa,
    pbxFeed: createCredentialFeed({ store, box, clock, log }),
    webhooks: createWebhooks({ store, box, clock, runChange }),
  };
  const accounts = createAccounts({
    store,
    clock,
    runChange,
    authenticateToken: services.tokens.authenticate,
    // The setup code was that file's token: once a person can sign in, the
    // plaintext copy on disk goes. The token itself stays a valid API token
    // (listed under Users and API tokens, where an admin can revoke it).
    onFirstAdmin: () => {
      fs.rmSync(path.join(config.dataDir, ADMIN_TOKEN_FILE), { force: true });
      log.info('the first console admin exists; removed the admin-token file');
    },
  });
  // With a console account there is a way in: no token file is written again.
  if ((await store.listUsers()).length === 0) await writeFirstAdminToken(services.tokens.bootstrap, config.dataDir, log);
  const sync = () => reconcile(rerenderer, catalog.current(), runChange, log);
  // Each instance sweeps under its own id; the store lease lets one of them at a time.
  const sweep = createSweepJob({ store, holder: instance, minutes: config.sweepMinutes, clock, log, sweep: sync });
  // Whole-fleet work is the primary's: a worker serving phones never renders the fleet.
  let reconciled: Promise<void> = Promise.resolve();
  // A reconcile still waiting for its turn when the server stops never starts.
  let closing = false;
  let reconciling: Promise<void> = Promise.resolve();
  if (worker) {
    // The primary proved these sources before it asked.
    worker.link.serve(SWAP_CALL, () => catalog.swap(load(false)));
  } else {
    // Until the reconcile is done, phones get the last good stored bytes.
    const run = () =>
      sync().then(
        () => log.info('reconciled'),
        (err: unknown) => log.error({ err }, 'start-up reconcile failed; the sweep tries again'),
      );
    reconciled = (background && reconcileAfter ? reconcileAfter : Promise.resolve()).then(() => {
      if (!closing) reconciling = run();
      return reconciling;
    });
    if (!background) await reconciled;
    sweep.start();
  }
  const streams = createEventStreams({ store, events, clock, log });
  const consoleDir = path.join(ROOT, 'server', 'console');
  // Events reach every process of an instance, so one of them (the primary)
  // queues and sends the webhook deliveries.
  const webhookDispatcher = worker
    ? null
    : createWebhookDispatcher({
        store,
        box,
        clock,
        log,
        events,
        holder: instance,
        timeoutMs: config.webhooks.timeoutSeconds * 1000,
        retryForMs: config.webhooks.retryHours * 3_600_000,
        backoffMs: config.webhooks.backoffMs,
        pollMs: config.webhooks.pollMs,
      });
  webhookDispatcher?.start();
  const deps: AppDeps = {
    services,
    landingPage: loadLandingPage(ROOT),
    store,
    log,
    guard,
    trustedProxies: config.trustedProxies,
    pbxNetworks: config.pbxNetworks,
    console: {
      accounts,
      pages: loadConsolePages(path.join(consoleDir, 'pages')),
      assets: loadAssets(path.join(consoleDir, 'assets')),
      streams,
      catalog,
      publicOrigin: new URL(config.publicUrl).origin,
    },
  };
  const app = createHandler(deps, config.admin ? 'phones' : 'all');
  // Its own listener is the primary's (or the one process's): an admin's request never queues behind phones.
  const adminApp = config.admin && !worker ? createHandler(deps, 'admin') : null;
  const close = async () => {
    closing = true;
    streams.endAll();
    streams.close();
    await webhookDispatcher?.stop();
    await sweep.stop();
    await notify?.close();
    await reconciling;
    // A worker hands over through the primary, which may already be gone.
    await (worker ? barrier().catch(() => undefined) : barrier());
    await engine.close();
  };
  return { app, adminApp, store, services, sweep, events, notify, streams, fetches, learning, barrier, reconciled, close };
}

/** A worker's check-sync requests are the primary's, where the notifier runs. */
function syncThroughPrimary(link: Link): ReturnType<typeof createSyncRequests> {
  return {
    device: (actor, mac) => askPrimary(link, SYNC_CALL, { what: 'device', actor, key: mac }),
    extension: (actor, number) => askPrimary(link, SYNC_CALL, { what: 'extension', actor, key: number }),
  };
}

async function writeFirstAdminToken(bootstrap: () => Promise<string | null>, dataDir: string, log: Logger) {
  const token = await bootstrap();
  if (!token) return;
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  log.warn({ file }, 'created the first admin token; read it from this file, then keep it somewhere safe');
}

/** A port that cannot be had: the boot stops with this one line, before anything is written. */
export class ListenError extends Error {
  constructor(readonly port: number, code: string | undefined) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} is already in use`
        : code === 'EACCES'
          ? `port ${port} needs more privileges than this process has`
          : `port ${port} cannot be listened on (${code ?? 'error'})`,
    );
    this.name = 'ListenError';
  }
}

/**
 * Limits on every listener. A phone's request is a few hundred bytes of
 * headers and a small or empty body, so these only ever cut off clients that
 * hold a connection without using it.
 */
export const LISTENER_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeadersCount: 100,
  maxHeaderSize: 16 * 1024,
  maxUnproven: 1024,
  /** The share of the unproven slots one address may hold. */
  maxUnprovenPerAddress: 128,
} as const;

function limitedServer(tls: { cert: Buffer; key: Buffer } | null, trustProxy: boolean): Server {
  const options = {
    maxHeaderSize: LISTENER_LIMITS.maxHeaderSize,
    requestTimeout: LISTENER_LIMITS.requestTimeoutMs,
    headersTimeout: LISTENER_LIMITS.headersTimeoutMs,
    keepAliveTimeout: LISTENER_LIMITS.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default).
    connectionsCheckingInterval: 1_000,
  };
  const server = tls ? https.createServer({ ...options, ...tls, handshakeTimeout: LISTENER_LIMITS.headersTimeoutMs }) : http.createServer(options);
  server.maxHeadersCount = LISTENER_LIMITS.maxHeadersCount;
  guardConnections(server, {
    maxUnproven: LISTENER_LIMITS.maxUnproven,
    // Behind a proxy every connection comes from the proxy's address.
    maxUnprovenPerAddress: trustProxy ? 0 : LISTENER_LIMITS.maxUnprovenPerAddress,
  });
  return server;
}

function listenOn(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(port, err.code)));
    server.listen(port, host, () => resolve(server));
  });
}

/** What a bound port answers until the app is built. */
const NOT_YET: http.RequestListener = (_req, res) => {
  res.writeHead(503, { 'Retry-After': '1', Connection: 'close' }).end();
};

export interface Bound {
  servers: Server[];
  /** Hands requests to the app; until then each is answered 503. */
  serve: (handler: http.RequestListener) => void;
  close: () => Promise<void>;
}

/** Listens on each (server, port, host) in turn; until `serve`, every request is answered 503. */
async function bindServers(wanted: [Server, number, string][]): Promise<Bound> {
  let handle = NOT_YET;
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    })));
  };
  try {
    for (const [server, port, host] of wanted) {
      server.on('request', (req, res) => handle(req, res));
      servers.push(await listenOn(server, port, host));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { servers, serve: (handler) => void (handle = handler), close };
}

/**
 * Takes the ports (HTTP and, when configured, HTTPS) before anything else
 * happens, so that a port in use stops the boot before a file is written.
 */
export async function bind(config: Config): Promise<Bound> {
  const proxied = config.trustedProxies.length > 0;
  const wanted: [Server, number, string][] = [[limitedServer(null, proxied), config.port, config.host]];
  if (config.tls) wanted.push([limitedServer(readTls(config.tls), proxied), config.tls.port, config.host]);
  return bindServers(wanted);
}

/** The admin listener (PROV_ADMIN_PORT), HTTPS when the server has a certificate; null when there is none. */
export async function bindAdmin(config: Config): Promise<Bound | null> {
  if (!config.admin) return null;
  const tls = config.tls ? readTls(config.tls) : null;
  return bindServers([[limitedServer(tls, config.trustedProxies.length > 0), config.admin.port, config.admin.host]]);
}

/** Listens on HTTP and, when configured, HTTPS too; both serve the same app. */
export async function listen(app: http.RequestListener, config: Config): Promise<Server[]> {
  const bound = await bind(config);
  bound.serve(app);
  return bound.servers;
}

function readTls(tls: NonNullable<Config['tls']>): { cert: Buffer; key: Buffer } {
  try {
    return { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) };
  } catch (err) {
    throw new ConfigError('PROV_TLS_CERT', `or PROV_TLS_KEY cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    return fail(err);
  }
  // Asynchronous writes (pino's own design): under a storm, lines written while one write is in flight go out together.
  const log = pino(
    { level: config.logLevel, redact: ['req.headers.authorization', '*.secret', '*.token'] },
    pino.destination({ dest: 1, sync: false }),
  );
  if (cluster.isWorker) return startWorker(config, log);
  if (config.workers > 1) return startClusterPrimary(config, log);
  let servers: Server[];
  let close: () => Promise<void>;
  let endStreams: () => void;
  let bound: Bound;
  let admin: Bound | null = null;
  try {
    bound = await bind(config);
    admin = await bindAdmin(config).catch(async (err: unknown) => {
      await bound.close();
      throw err;
    });
  } catch (err) {
    return fail(err, log);
  }
  try {
    const built = await assemble(config, { log, background: true });
    close = built.close;
    endStreams = built.streams.endAll;
    bound.serve(built.app);
    if (built.adminApp) admin?.serve(built.adminApp);
    servers = [...bound.servers, ...(admin?.servers ?? [])];
  } catch (err) {
    await bound.close();
    await admin?.close();
    return fail(err, log);
  }
  logListening(bound.servers, config, log);
  if (admin) logListening(admin.servers, config, log, 'admin listening');
  watchLoopDelay(log);
  onStopSignal(log, async () => {
    // Event streams never go idle by themselves.
    endStreams();
    await closeServers(servers);
    await close();
    return true;
  });
}

/** The primary opens the store first (migrations, key check, first admin token), then forks the workers. */
async function startClusterPrimary(config: Config, log: Logger): Promise<void> {
  const local = createEventBus((err, event) => log.error({ err, event: event.type }, 'an event listener failed'));
  let hub: ReturnType<typeof startPrimary> | null = null;
  let booted = true;
  const relayed: EventBus = {
    publish(event) {
      local.publish(event);
      hub?.broadcast(event);
    },
    subscribe: (listener) => local.subscribe(listener),
  };
  try {
    // Refused once, here, rather than once per worker.
    if (config.tls) readTls(config.tls);
  } catch (err) {
    return fail(err, log);
  }
  let admin: Bound | null;
  try {
    // The workers listen; a port in use must still stop the boot before the store is opened.
    await (await bind(config)).close();
    // The admin port is the primary's own, where the use cases run.
    admin = await bindAdmin(config);
  } catch (err) {
    return fail(err, log);
  }
  // Workers compile and load while the primary is idle: the reconcile starts
  // once they all listen (or after a few seconds, whatever happened).
  let workersListening = () => {};
  const listening = new Promise<void>((resolve) => (workersListening = resolve));
  setTimeout(workersListening, 5_000).unref();
  const assembling = assemble(config, { log, background: true, events: relayed, reconcileAfter: listening, collect: () => hub?.collect() ?? Promise.resolve() });
  hub = startPrimary({
    workers: config.workers,
    log,
    local,
    onAllListening: workersListening,
    assembled: assembling.then((b) => ({
      fetches: b.fetches!,
      learning: b.learning!,
      flush: b.barrier,
      reloadTemplates: b.services.reloadTemplates,
      sync: (what, actor, key) => (what === 'device' ? b.services.sync.device(actor, key as Mac) : b.services.sync.extension(actor, key)),
      useCases: { extensions: b.services.extensions, devices: b.services.devices },
    })),
    onBootFailure: () => {
      booted = false;
      stop('boot-failure');
    },
  });
  let built: Awaited<ReturnType<typeof assemble>> | null = null;
  try {
    built = await assembling;
  } catch (err) {
    booted = false;
    fail(err, log);
    await admin?.close();
    await hub.stop();
    process.exit(1);
  }
  if (admin && built.adminApp) {
    admin.serve(built.adminApp);
    logListening(admin.servers, config, log, 'admin listening');
  }
  watchLoopDelay(log);
  const stop = onStopSignal(log, async () => {
    built?.streams.endAll();
    if (admin) await closeServers(admin.servers);
    const clean = await hub!.stop();
    await built?.close();
    return clean && booted;
  });
}

async function startWorker(config: Config, log: Logger): Promise<void> {
  const link = createLink(process as unknown as Parameters<typeof createLink>[0]);
  // The primary opens the store (migrations, key, first token) before any worker does.
  await link.call(GO_CALL);
  let servers: Server[];
  let close: () => Promise<void>;
  let endStreams: () => void;
  try {
    const built = await assemble(config, { log, worker: { link, id: cluster.worker!.id } });
    close = built.close;
    endStreams = built.streams.endAll;
    servers = await listen(built.app, config);
  } catch (err) {
    fail(err, log);
    process.exit(1);
  }
  logListening(servers, config, log);
  link.post({ k: 'ready' }, true);
  watchLoopDelay(log);
  const stop = onStopSignal(log, async () => {
    endStreams();
    await closeServers(servers);
    await close();
    return true;
  });
  // The primary is gone: nothing relays, nothing writes fetch records; stop.
  process.once('disconnect', () => stop('disconnect'));
}

function logListening(servers: Server[], config: Config, log: Logger, msg = 'listening'): void {
  for (const server of servers) {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ url: config.publicUrl, dataDir: config.dataDir, port, tls: server instanceof https.Server }, msg);
  }
}

function closeServers(servers: Server[]): Promise<void> {
  return new Promise((resolve) => {
    let open = servers.length;
    if (open === 0) resolve();
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) resolve();
      });
      server.closeIdleConnections();
    }
  });
}

/** SIGTERM and SIGINT (to us or to the whole process group) stop once, gracefully, or exit 1 after 10 s. */
function onStopSignal(log: Logger, shutdown: () => Promise<boolean>): (signal: string) => void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Until the shutdown proves clean: a process whose loop empties meanwhile must not exit 0.
    process.exitCode = 1;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 12_000).unref();
    void shutdown().then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return stop;
}

function fail(err: unknown, log?: Logger): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`config error: ${err.message}\n`);
  } else if (err instanceof ListenError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else if (log) {
    log.fatal({ err }, 'could not start');
  } else {
    process.stderr.write(`could not start: ${(err as Error).message}\n`);
  }
  process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void start();
}
