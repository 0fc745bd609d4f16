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
import { createNonceBook } from './domain/digest.ts';
import { createSecretBox, deriveKey } from './domain/secret-box.ts';
import { AppError } from './domain/errors.ts';
import { relayedBus } from './cluster/event-relay.ts';
import { createLink, RemoteError, type Link } from './cluster/link.ts';
import { watchLoopDelay } from './cluster/loop-delay.ts';
import { FLUSH_CALL, GO_CALL, RELOAD_CALL, startPrimary, SWAP_CALL } from './cluster/primary.ts';
import { createSharedNonceBook } from './cluster/shared-nonce-book.ts';
import { createSharedScanGuard } from './cluster/shared-scan-guard.ts';
import { createApp } from './http/app.ts';
import { loadLandingPage } from './http/landing-page.ts';
import { createSweepJob } from './jobs/sweep-job.ts';
import { createAuditReader } from './provisioning/audit.ts';
import { allOf, createChangeRunner } from './provisioning/change-runner.ts';
import { createDeviceFiles } from './provisioning/device-files.ts';
import { createDevices } from './provisioning/devices.ts';
import { createEventBus, type EventBus } from './provisioning/events.ts';
import { createFetchCoalescer, withCoalescedFetches, type FetchCoalescer } from './provisioning/fetch-records.ts';
import { createCachingBox } from './provisioning/opened-cache.ts';
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
import { holdCatalog, loadCatalog } from './render/catalog.ts';
import { checkSecretKey, loadSecretKey } from './storage/secret-key.ts';
import { openMongoStore } from './storage/mongo-store.ts';
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
}

/** Everything the server is, built and ready to listen; close() releases it. */
export async function assemble(config: Config, { log, clock = () => new Date(), background = false, worker, events: givenBus }: AssembleOptions) {
  prepareDataDir(config.dataDir);
  if (config.templatesDir && !fs.statSync(config.templatesDir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new ConfigError('PROV_TEMPLATES_DIR', `is not a directory: ${config.templatesDir}`);
  }
  const load = () => loadCatalog({ root: ROOT, overrideDir: config.templatesDir, publicUrl: config.publicUrl });
  const catalog = holdCatalog(load());
  const key = loadSecretKey(config.secretKey, config.dataDir);
  const box = createSecretBox(key);
  const guard = worker
    ? createSharedScanGuard(config.scan, clock, log, worker.link)
    : createScanGuard(config.scan, clock, log);
  // Which store is the only thing here that knows: everything past this line sees the Store port.
  const engine = config.mongo ? await openMongoStore(config.mongo) : openSqliteStore(config.dataDir);
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
  const barrier = worker ? () => worker.link.call<void>(FLUSH_CALL) : () => fetches!.flush();
  const store = withCoalescedFetches(engine, sink, barrier);
  // The phone path neither waits for the barrier nor opens the same sealed value twice.
  const phoneStore = withCoalescedFetches(engine, sink);
  const phoneBox = createCachingBox(box);
  const rerenderer = createRerenderer({ store, box, catalog, clock });
  const ownBus = givenBus ?? createEventBus((err, event) => log.error({ err, event: event.type }, 'an event listener failed'));
  const events = worker ? relayedBus(ownBus, worker.link) : ownBus;
  const runChange = createChangeRunner(store, allOf(rerenderer.hook, createOverrideScrubber(store, box, catalog)), events);
  const services = {
    extensions: createExtensions({ store, box, clock, runChange }),
    devices: createDevices({ store, catalog, clock, runChange, box, claimMinutes: config.claimMinutes }),
    deviceFiles: createDeviceFiles({ store, box, catalog, clock, runChange }),
    reloadTemplates: worker
      ? (actor: Parameters<ReturnType<typeof createTemplatesReload>>[0]) => reloadThroughPrimary(worker.link, actor)
      : createTemplatesReload({ catalog, load, rerenderer, runChange, clock }),
    phone: createPhoneRequests({
      store: phoneStore,
      box: phoneBox,
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
  };
  await writeFirstAdminToken(services.tokens.bootstrap, config.dataDir, log);
  const sync = () => reconcile(rerenderer, catalog.current(), runChange, log);
  // Each instance sweeps under its own id; the store lease lets one of them at a time.
  const sweep = createSweepJob({ store, holder: randomUUID(), minutes: config.sweepMinutes, clock, log, sweep: sync });
  // Whole-fleet work is the primary's: a worker serving phones never renders the fleet.
  let reconciled: Promise<void> = Promise.resolve();
  if (worker) {
    worker.link.serve(SWAP_CALL, () => catalog.swap(load()));
  } else {
    // Until the reconcile is done, phones get the last good stored bytes.
    reconciled = sync().then(
      () => log.info('reconciled'),
      (err: unknown) => log.error({ err }, 'start-up reconcile failed; the sweep tries again'),
    );
    if (!background) await reconciled;
    sweep.start();
  }
  const app = createApp({ services, landingPage: loadLandingPage(ROOT), store, log, guard, proxy: config.trustProxy });
  const close = async () => {
    await sweep.stop();
    await reconciled;
    if (fetches) await fetches.flush();
    else await barrier().catch(() => undefined);
    await engine.close();
  };
  return { app, store, services, sweep, events, fetches, reconciled, close };
}

/** A reload asked of a worker runs on the primary; its refusal comes back as the same typed error. */
async function reloadThroughPrimary(link: Link, actor: unknown) {
  try {
    return await link.call<{ changedFiles: number; changedDevices: number }>(RELOAD_CALL, actor);
  } catch (err) {
    if (err instanceof RemoteError && err.status && err.code) throw new AppError(err.status, err.code, err.message);
    throw err;
  }
}

async function writeFirstAdminToken(bootstrap: () => Promise<string | null>, dataDir: string, log: Logger) {
  const token = await bootstrap();
  if (!token) return;
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  log.warn({ file }, 'created the first admin token; read it from this file, then keep it somewhere safe');
}

function listenOn(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** Listens on HTTP and, when configured, HTTPS too; both serve the same app. */
export async function listen(app: ReturnType<typeof createApp>, config: Config): Promise<Server[]> {
  const servers = [await listenOn(http.createServer(app.callback()), config.port, config.host)];
  if (config.tls) {
    let options: { cert: Buffer; key: Buffer };
    try {
      options = readTls(config.tls);
    } catch (err) {
      servers[0]!.close();
      throw err;
    }
    servers.push(await listenOn(https.createServer(options, app.callback()), config.tls.port, config.host));
  }
  return servers;
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
  try {
    const built = await assemble(config, { log, background: true });
    close = built.close;
    servers = await listen(built.app, config);
  } catch (err) {
    return fail(err, log);
  }
  logListening(servers, config, log);
  watchLoopDelay(log);
  onStopSignal(log, async () => {
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
  const assembling = assemble(config, { log, background: true, events: relayed });
  hub = startPrimary({
    workers: config.workers,
    log,
    local,
    assembled: assembling.then((b) => ({ fetches: b.fetches!, reloadTemplates: b.services.reloadTemplates })),
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
    await hub.stop();
    process.exit(1);
  }
  watchLoopDelay(log);
  const stop = onStopSignal(log, async () => {
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
  try {
    const built = await assemble(config, { log, worker: { link, id: cluster.worker!.id } });
    close = built.close;
    servers = await listen(built.app, config);
  } catch (err) {
    fail(err, log);
    process.exit(1);
  }
  logListening(servers, config, log);
  link.post({ k: 'ready' }, true);
  watchLoopDelay(log);
  const stop = onStopSignal(log, async () => {
    await closeServers(servers);
    await close();
    return true;
  });
  // The primary is gone: nothing relays, nothing writes fetch records; stop.
  process.once('disconnect', () => stop('disconnect'));
}

function logListening(servers: Server[], config: Config, log: Logger): void {
  for (const server of servers) {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ url: config.publicUrl, dataDir: config.dataDir, port, tls: server instanceof https.Server }, 'listening');
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
