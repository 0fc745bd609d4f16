// The composition root: the only module that wires configuration, store,
// services and HTTP together. Every other module gets what it needs as
// parameters. What differs between a worker and the process that owns the
// shared state is chosen once, in cluster/process-share.ts.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, prepareDataDir, type Config } from './config.ts';
import { createSecretBox } from './domain/secret-box.ts';
import { createAccounts } from './console/accounts.ts';
import { loadConsolePages } from './console/console-pages.ts';
import { loadAssets } from './console/console-routes.ts';
import { createEventStreams } from './console/event-stream.ts';
import { relayedBus } from './cluster/event-relay.ts';
import type { Link } from './cluster/link.ts';
import { ownShare, workerShare } from './cluster/process-share.ts';
import { SWAP_CALL } from './cluster/primary.ts';
import { createHandler, type AppDeps } from './app.ts';
import { loadLandingPage } from './http/landing-page.ts';
import { startFleetUpkeep } from './jobs/fleet-upkeep.ts';
import { createAuditReader } from './provisioning/audit/audit-reader.ts';
import { allOf, createChangeRunner, type RunChange } from './provisioning/change/change-runner.ts';
import { createEventBus, type EventBus } from './provisioning/change/events.ts';
import { createDeviceFiles } from './provisioning/devices/device-files.ts';
import { createDevices } from './provisioning/devices/devices.ts';
import { createDeviceView } from './provisioning/devices/device-view.ts';
import { createExtensions } from './provisioning/extensions/extensions.ts';
import { reconcile } from './provisioning/fleet/reconcile.ts';
import { createRerenderer } from './provisioning/fleet/rerender.ts';
import { createTemplatesReload } from './provisioning/fleet/templates-reload.ts';
import { createLinks } from './provisioning/links/links.ts';
import { withCoalescedFetches } from './provisioning/phones/fetch-records.ts';
import { createCachingBox } from './provisioning/phones/opened-cache.ts';
import { createOverrideScrubber } from './provisioning/phones/override-scrub.ts';
import { createPhoneAccess } from './provisioning/phones/phone-access.ts';
import { createPhoneRequests } from './provisioning/phones/phone-requests.ts';
import { removeFirstAdminToken, writeFirstAdminToken } from './provisioning/tokens/first-admin-token.ts';
import { createTokens } from './provisioning/tokens/tokens.ts';
import { openNotifier } from './notify/open-notifier.ts';
import { createSyncRequests } from './notify/sync-requests.ts';
import { createCredentialFeed } from './pbx/credential-feed.ts';
import { createRegistrations } from './provisioning/registrations/registrations.ts';
import { createSites } from './provisioning/sites/sites.ts';
import { createSitePolling } from './provisioning/sites/site-polling.ts';
import { createExport } from './provisioning/bulk/export.ts';
import { createImport } from './provisioning/bulk/import.ts';
import { holdCatalog, loadCatalog } from './render/catalog.ts';
import { ROOT } from './root.ts';
import { loadSecretKey } from './storage/secret-key.ts';
import { openStore } from './storage/open-store.ts';
import { createWebhookDispatcher } from './webhooks/dispatcher.ts';
import { createWebhooks } from './webhooks/webhooks.ts';


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
  log.info(
    { claimNetworks: config.claimNetworks.map((n) => n.text), trustedProxies: config.trustedProxies.map((n) => n.text), claimMinutes: config.claimMinutes },
    'phone access: claims only from these networks; X-Forwarded-For believed only from these proxies',
  );
  if (config.publicUrlDerived && !worker) {
    log.warn({ url: config.publicUrl }, 'PROV_PUBLIC_URL is not set: configs and links point phones at this address, made from the host name; set it to one the phones can reach');
  }
  const engine = await openStore(config, box);
  let runChange: RunChange = () => Promise.reject(new Error('no change before assembly ends'));
  const shareDeps = { config, key, clock, log };
  const share = worker ? workerShare(shareDeps, worker.link, worker.id) : ownShare(shareDeps, engine, (plan) => runChange(plan));
  // What the admin reads waits for every queued fetch record and what it taught.
  const store = withCoalescedFetches(engine, share.recordFetch, share.barrier);
  // The phone path neither waits for the barrier nor opens the same sealed value twice.
  const phoneStore = withCoalescedFetches(engine, share.recordFetch);
  // Rendering reads no fetch state (and a device write leaves it alone), so
  // it skips the barrier too: across workers each read behind it is a round
  // trip to the primary, and a change on a 50-device extension read 51.
  const rerenderer = createRerenderer({ store: phoneStore, box, catalog, clock });
  const ownBus = givenBus ?? createEventBus((err, event) => log.error({ err, event: event.type }, 'an event listener failed'));
  const events = worker ? relayedBus(ownBus, worker.link) : ownBus;
  runChange = createChangeRunner(store, allOf(rerenderer.hook, createOverrideScrubber(store, box, catalog)), events);
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
  const base = { store, box, catalog, clock, runChange };
  // Reports are state the registrar holds: read and written without waiting for fetch records.
  const registrations = createRegistrations({ store: phoneStore, clock, log, events });
  const services = {
    extensions: share.forward('extensions', createExtensions({ ...base, settled: collect, rotationGraceMinutes: config.rotationGraceMinutes })),
    devices: share.forward('devices', createDevices({ ...base, settled: collect, claimMinutes: config.claimMinutes, pushMode: config.notify.mode, registrations })),
    deviceFiles: createDeviceFiles(base),
    reloadTemplates: share.reload(() => createTemplatesReload({ catalog, load, rerenderer, runChange, clock })),
    phone: createPhoneRequests({
      // Its served-bytes cache is the one copy of an opened body it keeps.
      ...base,
      store: phoneStore,
      log,
      events,
      access: createPhoneAccess({
        store: phoneStore,
        // For the device passwords a phone's credentials are checked against.
        box: createCachingBox(box),
        catalog,
        nonces: share.nonces,
        guard: share.guard,
        clock,
        allowBasicOverHttp: config.allowBasicOverHttp,
        claimNetworks: config.claimNetworks,
      }),
      maxUnassigned: config.maxUnassigned,
      learnFirmware: share.learnFirmware,
    }),
    links: createLinks({
      ...base,
      publicUrl: config.publicUrl,
      defaults: { expiresInMinutes: config.linkExpiryMinutes, maxUses: config.linkMaxUses },
    }),
    tokens: createTokens({ store, clock, runChange, envAdminToken: config.adminToken }),
    audit: createAuditReader(store),
    sync: share.sync(() => createSyncRequests({ store, clock, runChange, notifier: notify?.notifier ?? null })),
    sipCa: () => catalog.current().sipCa,
    pbxFeed: createCredentialFeed({ store, box, clock, log }),
    registrations,
    webhooks: createWebhooks({ store, box, clock, runChange, allow: config.webhooks.allow }),
    sites: createSites(base),
    // A whole file is rendered by the process that owns the fleet's work, never a worker serving phones.
    import: share.forward('import', createImport({ ...base, claimMinutes: config.claimMinutes, rotationGraceMinutes: config.rotationGraceMinutes })),
    export: createExport(base),
  };
  const accounts = createAccounts({
    store,
    clock,
    runChange,
    authenticateToken: services.tokens.authenticate,
    // The setup code was that file's token.
    onFirstAdmin: () => removeFirstAdminToken(config.dataDir, log),
  });
  // With a console account there is a way in: no token file is written again.
  if ((await store.listUsers()).length === 0) await writeFirstAdminToken(services.tokens.bootstrap, config.dataDir, log);
  // Whole-fleet work is the primary's: a worker serving phones never renders the fleet.
  const after = background && reconcileAfter ? reconcileAfter : Promise.resolve();
  const upkeep = startFleetUpkeep(
    { store, holder: instance, minutes: config.sweepMinutes, auditDays: config.auditDays, clock, log, reconcile: () => reconcile(rerenderer, catalog.current(), runChange, log) },
    worker ? null : { after },
  );
  if (worker) {
    // The primary proved these sources before it asked.
    worker.link.serve(SWAP_CALL, () => catalog.swap(load(false)));
  } else {
    if (!background) await upkeep.reconciled;
    upkeep.sweep.start();
  }
  const deviceView = createDeviceView({ catalog, clock, pushMode: config.notify.mode });
  const polling = createSitePolling(store);
  const streams = createEventStreams({ store, events, clock, log, view: async (d) => deviceView(d, (await registrations.lines([d])).get(d.mac), (await polling([d])).get(d.mac)) });
  // Events reach every process of an instance, so one of them (the primary)
  // queues and sends the webhook deliveries.
  const webhookDispatcher = worker ? null : createWebhookDispatcher({ store, box, clock, log, events, holder: instance, ...webhookTiming(config) });
  webhookDispatcher?.start();
  const consoleDir = path.join(ROOT, 'server', 'console');
  const deps: AppDeps = {
    services,
    landingPage: loadLandingPage(ROOT),
    store,
    log,
    guard: share.guard,
    trustedProxies: config.trustedProxies,
    pbxNetworks: config.pbxNetworks,
    console: {
      accounts,
      pages: loadConsolePages(path.join(consoleDir, 'pages')),
      assets: loadAssets(path.join(consoleDir, 'assets')),
      streams,
      catalog,
      publicOrigin: new URL(config.publicUrl).origin,
      server: { publicUrl: config.publicUrl, publicUrlDerived: config.publicUrlDerived, push: config.notify.mode },
    },
  };
  const app = createHandler(deps, config.admin ? 'phones' : 'all');
  // Its own listener is the primary's (or the one process's): an admin's request never queues behind phones.
  const adminApp = config.admin && !worker ? createHandler(deps, 'admin') : null;
  const close = async () => {
    // At once: a reconcile still waiting for its turn never starts.
    const upkeepStopped = upkeep.stop();
    streams.endAll();
    streams.close();
    await webhookDispatcher?.stop();
    await upkeepStopped;
    await notify?.close();
    // A worker hands over through the primary, which may already be gone.
    await (worker ? share.barrier().catch(() => undefined) : share.barrier());
    await engine.close();
  };
  const { fetches, learning, barrier } = share;
  return { app, adminApp, store, services, sweep: upkeep.sweep, events, notify, streams, fetches, learning, barrier, reconciled: upkeep.reconciled, close };
}

function webhookTiming({ webhooks }: Config) {
  return {
    timeoutMs: webhooks.timeoutSeconds * 1000,
    retryForMs: webhooks.retryHours * 3_600_000,
    backoffMs: webhooks.backoffMs,
    pollMs: webhooks.pollMs,
    allow: webhooks.allow,
  };
}
