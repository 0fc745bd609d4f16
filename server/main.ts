// The composition root: the only module that wires configuration, store,
// services and HTTP together, and the process entry point.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig, prepareDataDir, type Config } from './config.ts';
import { createNonceBook } from './domain/digest.ts';
import { createSecretBox, deriveKey } from './domain/secret-box.ts';
import { createAccounts } from './console/accounts.ts';
import { loadConsolePages } from './console/console-pages.ts';
import { loadAssets } from './console/console-routes.ts';
import { createEventStreams } from './console/event-stream.ts';
import { createApp } from './http/app.ts';
import { guardConnections } from './http/connection-guard.ts';
import { loadLandingPage } from './http/landing-page.ts';
import { createSweepJob } from './jobs/sweep-job.ts';
import { createAuditReader } from './provisioning/audit.ts';
import { allOf, createChangeRunner } from './provisioning/change-runner.ts';
import { createDeviceFiles } from './provisioning/device-files.ts';
import { createDevices } from './provisioning/devices.ts';
import { createEventBus } from './provisioning/events.ts';
import { createExtensions } from './provisioning/extensions.ts';
import { createLinks } from './provisioning/links.ts';
import { createOverrideScrubber } from './provisioning/override-scrub.ts';
import { createPhoneAccess } from './provisioning/phone-access.ts';
import { createPhoneRequests } from './provisioning/phone-requests.ts';
import { reconcile } from './provisioning/reconcile.ts';
import { createScanGuard } from './provisioning/scan-guard.ts';
import { createRerenderer } from './provisioning/rerender.ts';
import { createTemplatesReload } from './provisioning/templates-reload.ts';
import { createTokens } from './provisioning/tokens.ts';
import { openNotifier } from './notify/open-notifier.ts';
import { createSyncRequests } from './notify/sync-requests.ts';
import { holdCatalog, loadCatalog } from './render/catalog.ts';
import { checkSecretKey, loadSecretKey } from './storage/secret-key.ts';
import { createCredentialFeed } from './pbx/credential-feed.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import { createWebhooks } from './webhooks/webhooks.ts';
import { openMongoStore } from './storage/mongo-store.ts';
import { openSqliteStore } from './storage/sqlite-store.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AssembleOptions {
  log: Logger;
  clock?: () => Date;
}

/** Everything the server is, built and ready to listen; close() releases it. */
export async function assemble(config: Config, { log, clock = () => new Date() }: AssembleOptions) {
  prepareDataDir(config.dataDir);
  if (config.templatesDir && !fs.statSync(config.templatesDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('PROV_TEMPLATES_DIR', `is not a directory: ${config.templatesDir}`);
  }
  const load = () =>
    loadCatalog({ root: ROOT, overrideDir: config.templatesDir, publicUrl: config.publicUrl, sipCaFile: config.sipCaFile });
  const catalog = holdCatalog(load());
  for (const file of catalog.current().unmatchedOverrides) {
    log.warn({ file, dir: config.templatesDir }, 'a template override matches no vendor, template or model and is never used');
  }
  const key = loadSecretKey(config.secretKey, config.dataDir);
  const box = createSecretBox(key);
  const guard = createScanGuard(config.scan, clock, log);
  log.info(
    {
      claimNetworks: config.claimNetworks.map((n) => n.text),
      trustedProxies: config.trustedProxies.map((n) => n.text),
      claimMinutes: config.claimMinutes,
    },
    'phone access: claims only from these networks; X-Forwarded-For believed only from these proxies',
  );
  // Which store is the only thing here that knows: everything past this line sees the Store port.
  const store = config.mongo ? await openMongoStore(config.mongo) : openSqliteStore(config.dataDir);
  try {
    await checkSecretKey(store, box);
  } catch (err) {
    await store.close();
    throw err;
  }
  const rerenderer = createRerenderer({ store, box, catalog, clock });
  const events = createEventBus((err, event) => log.error({ err, event: event.type }, 'an event listener failed'));
  const runChange = createChangeRunner(store, allOf(rerenderer.hook, createOverrideScrubber(store, box, catalog)), events);
  const instance = randomUUID();
  // Listens before the start-up reconcile below, so what it re-renders is pushed too.
  let notify: Awaited<ReturnType<typeof openNotifier>>;
  try {
    notify = await openNotifier({ config: config.notify, store, box, catalog, events, log, holder: instance });
  } catch (err) {
    await store.close();
    throw new ConfigError('PROV_NOTIFY_BIND', `or PROV_NOTIFY_PORT cannot be bound (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const services = {
    extensions: createExtensions({ store, box, clock, runChange, rotationGraceMinutes: config.rotationGraceMinutes }),
    devices: createDevices({ store, catalog, clock, runChange, box, claimMinutes: config.claimMinutes }),
    deviceFiles: createDeviceFiles({ store, box, catalog, clock, runChange }),
    reloadTemplates: createTemplatesReload({ catalog, load, rerenderer, runChange, clock }),
    phone: createPhoneRequests({
      store,
      box,
      catalog,
      clock,
      runChange,
      log,
      events,
      access: createPhoneAccess({
        store,
        box,
        catalog,
        nonces: createNonceBook(deriveKey(key, 'digest-nonces'), clock, config.nonceSeconds),
        guard,
        clock,
        allowBasicOverHttp: config.allowBasicOverHttp,
        claimNetworks: config.claimNetworks,
      }),
      maxUnassigned: config.maxUnassigned,
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
    sync: createSyncRequests({ store, clock, runChange, notifier: notify?.notifier ?? null }),
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
  await sync();
  // Each instance sweeps under its own id; the store lease lets one of them at a time.
  const sweep = createSweepJob({ store, holder: instance, minutes: config.sweepMinutes, clock, log, sweep: sync });
  sweep.start();
  const streams = createEventStreams({ store, events, clock, log });
  const consoleDir = path.join(ROOT, 'server', 'console');
  const webhookDispatcher = createWebhookDispatcher({
    store,
    box,
    clock,
    log,
    events,
    holder: randomUUID(),
    timeoutMs: config.webhooks.timeoutSeconds * 1000,
    retryForMs: config.webhooks.retryHours * 3_600_000,
    backoffMs: config.webhooks.backoffMs,
    pollMs: config.webhooks.pollMs,
  });
  webhookDispatcher.start();
  const app = createApp({
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
  });
  const close = async () => {
    streams.endAll();
    streams.close();
    await webhookDispatcher.stop();
    await sweep.stop();
    await notify?.close();
    await store.close();
  };
  return { app, store, services, sweep, events, notify, streams, close };
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

export interface Bound {
  servers: Server[];
  /** Hands requests to the app; until then each is answered 503. */
  serve: (app: ReturnType<typeof createApp>) => void;
  close: () => Promise<void>;
}

/**
 * Takes the ports (HTTP and, when configured, HTTPS) before anything else
 * happens, so that a port in use stops the boot before a file is written.
 */
export async function bind(config: Config): Promise<Bound> {
  let tls: { cert: Buffer; key: Buffer } | null = null;
  if (config.tls) {
    try {
      tls = { cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) };
    } catch (err) {
      throw new ConfigError('PROV_TLS_CERT', `or PROV_TLS_KEY cannot be read (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  let handle: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'Retry-After': '1', Connection: 'close' }).end();
  };
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    })));
  };
  try {
    const wanted: [Server, number][] = [[limitedServer(null, config.trustedProxies.length > 0), config.port]];
    if (config.tls) wanted.push([limitedServer(tls, config.trustedProxies.length > 0), config.tls.port]);
    for (const [server, port] of wanted) {
      server.on('request', (req, res) => handle(req, res));
      servers.push(await listenOn(server, port, config.host));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { servers, serve: (app) => void (handle = app.callback()), close };
}

/** Listens on HTTP and, when configured, HTTPS too; both serve the same app. */
export async function listen(app: ReturnType<typeof createApp>, config: Config): Promise<Server[]> {
  const bound = await bind(config);
  bound.serve(app);
  return bound.servers;
}

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    return fail(err);
  }
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.secret', '*.token'] });
  let servers: Server[];
  let close: () => Promise<void>;
  let endStreams: () => void;
  let bound: Bound;
  try {
    bound = await bind(config);
  } catch (err) {
    return fail(err, log);
  }
  try {
    const built = await assemble(config, { log });
    close = built.close;
    endStreams = built.streams.endAll;
    bound.serve(built.app);
    servers = bound.servers;
  } catch (err) {
    await bound.close();
    return fail(err, log);
  }
  for (const server of servers) {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ url: config.publicUrl, dataDir: config.dataDir, port, tls: server instanceof https.Server }, 'listening');
  }

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    // Event streams never go idle by themselves.
    endStreams();
    let open = servers.length;
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) void close().then(() => process.exit(0));
      });
      server.closeIdleConnections();
    }
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
