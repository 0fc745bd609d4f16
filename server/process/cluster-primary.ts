// The primary of a multi-worker instance: proves the configuration and the
// ports once, opens the store (migrations, key check, first admin token),
// forks the workers (cluster/primary.ts keeps them running) and hosts what is
// one per instance: fetch records, the notifier, whole-fleet work and, with
// PROV_ADMIN_PORT, the admin listener itself.
import type { Logger } from 'pino';
import { assemble } from '../assemble.ts';
import type { Config } from '../config.ts';
import type { Mac } from '../domain/mac.ts';
import { watchLoopDelay } from '../cluster/loop-delay.ts';
import { startPrimary } from '../cluster/primary.ts';
import { bind, bindAdmin, closeServers, logListening, readTls, type Bound } from '../http/listeners.ts';
import { createEventBus, type EventBus } from '../provisioning/change/events.ts';
import { fail, onStopSignal } from './stop.ts';

/** How long the reconcile waits for the workers to listen before it starts anyway. */
const WORKERS_LISTENING_MS = 5_000;

export async function runClusterPrimary(config: Config, log: Logger): Promise<void> {
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
  let admin: Bound | null;
  try {
    // Refused once, here, rather than once per worker.
    if (config.tls) readTls(config.tls);
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
  setTimeout(workersListening, WORKERS_LISTENING_MS).unref();
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
      useCases: { extensions: b.services.extensions, devices: b.services.devices, import: b.services.import },
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
