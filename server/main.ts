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
import { createApp } from './http/app.ts';
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
  const load = () => loadCatalog({ root: ROOT, overrideDir: config.templatesDir, publicUrl: config.publicUrl });
  const catalog = holdCatalog(load());
  const key = loadSecretKey(config.secretKey, config.dataDir);
  const box = createSecretBox(key);
  const guard = createScanGuard(config.scan, clock, log);
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
    pbxFeed: createCredentialFeed({ store, box, clock, log }),
    webhooks: createWebhooks({ store, box, clock, runChange }),
  };
  await writeFirstAdminToken(services.tokens.bootstrap, config.dataDir, log);
  const sync = () => reconcile(rerenderer, catalog.current(), runChange, log);
  await sync();
  // Each instance sweeps under its own id; the store lease lets one of them at a time.
  const sweep = createSweepJob({ store, holder: randomUUID(), minutes: config.sweepMinutes, clock, log, sweep: sync });
  sweep.start();
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
    proxy: config.trustProxy,
    pbxNetworks: config.pbxNetworks,
  });
  const close = async () => {
    await webhookDispatcher.stop();
    await sweep.stop();
    await store.close();
  };
  return { app, store, services, sweep, events, close };
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
      options = { cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) };
    } catch (err) {
      servers[0]!.close();
      throw new ConfigError('PROV_TLS_CERT', `or PROV_TLS_KEY cannot be read (${(err as NodeJS.ErrnoException).code})`);
    }
    servers.push(await listenOn(https.createServer(options, app.callback()), config.tls.port, config.host));
  }
  return servers;
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
  try {
    const built = await assemble(config, { log });
    close = built.close;
    servers = await listen(built.app, config);
  } catch (err) {
    return fail(err, log);
  }
  for (const server of servers) {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ url: config.publicUrl, dataDir: config.dataDir, port, tls: server instanceof https.Server }, 'listening');
  }

  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
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
