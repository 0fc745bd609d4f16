// The notifier: listens on the event bus for committed changes, queues each
// device whose credential-bearing file changed, sends its check-sync NOTIFY
// through the queue, and records every outcome on the device (apart from the
// device row) and on the bus. Several instances over one store send one
// NOTIFY per device per change: a store lease per device serialises them, and
// the outcome's key tells the second instance that the change was handled.
import type { Logger } from 'pino';
import type { NotifyConfig } from '../config.ts';
import type { DeviceRecord } from '../domain/device.ts';
import { acceptedRealms, type ExtensionRecord } from '../domain/extension.ts';
import { pushRefusal, type NotifyOutcome, type NotifyRecord, type NotifyStateName } from '../domain/notify.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { Store } from '../storage/store.ts';
import type { EventBus, ProvEvent } from '../provisioning/change/events.ts';
import { secretContext } from '../domain/seal-contexts.ts';
import { changedDevices } from './changed-devices.ts';
import { createQueue } from './queue.ts';
import type { SendNotify } from './send-notify.ts';
import { firstLineExtension, resolveTarget, type NotifyTarget } from './target.ts';
import type { Timers } from './timers.ts';

export interface NotifierDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  events: EventBus;
  log: Logger;
  config: NotifyConfig & { mode: 'direct' | 'proxy' };
  timers: Timers;
  random: () => number;
  send: SendNotify;
  /** This instance's name on the per-device leases. */
  holder: string;
}

interface Job {
  mac: string;
  key: string;
  /** Asked for by an admin: also for a phone that never fetched. */
  explicit: boolean;
}

/** Answers worth another try later; anything else final is the phone's verdict. */
const TRANSIENT = new Set([408, 480, 500, 503, 504]);
/** When another instance holds a device's lease, look again after this long. */
const DEFER_MS = 1_000;

export function createNotifier(d: NotifierDeps) {
  const { store, log, timers, config } = d;
  const fetchTimers = new Map<string, unknown>();
  const counts: Record<NotifyStateName, number> = { queued: 0, sent: 0, acknowledged: 0, failed: 0, 'no-fetch': 0 };
  const iso = () => new Date(timers.now()).toISOString();
  let unsubscribe: (() => void) | null = null;

  const queue = createQueue<Job>({
    rate: config.rate,
    concurrency: config.concurrency,
    jitterMs: config.jitterMs,
    backoffMs: config.backoffMs,
    timers,
    random: d.random,
    run: runJob,
    deferMs: DEFER_MS,
    onGiveUp: (job, attempts, err) => log.error({ err, mac: job.mac, attempts }, 'check-sync NOTIFY could not be sent'),
    onIdle: () => {
      if (Object.values(counts).every((n) => n === 0)) return;
      // Outcomes are counted here rather than audited one by one.
      log.info({ notify: { ...counts } }, 'check-sync NOTIFY queue drained');
      for (const k of Object.keys(counts) as NotifyStateName[]) counts[k] = 0;
    },
  });

  async function record(mac: string, rec: NotifyRecord): Promise<NotifyOutcome> {
    await store.recordNotify(mac, rec);
    const { key: _key, ...notify } = rec;
    counts[rec.state]++;
    log.debug({ mac, notify }, 'check-sync NOTIFY outcome');
    d.events.publish({ type: 'notify-outcome', mac, notify });
    return notify;
  }

  /** Whether the vendor takes a check-sync, and the Event header that asks for it. */
  function eventFor(device: DeviceRecord): string | null {
    const profile = d.catalog.current().profiles.get(device.vendor);
    return profile?.kind === 'desk-phone' && profile.checkSync ? profile.checkSync.event : null;
  }

  async function target(device: DeviceRecord, known?: Map<string, ExtensionRecord | null>): Promise<NotifyTarget | null> {
    const number = firstLineExtension(device);
    if (!number) return null;
    let ext = known?.get(number);
    if (ext === undefined) {
      ext = await store.getExtension(number);
      known?.set(number, ext);
    }
    return resolveTarget(config.mode, device, ext);
  }

  /**
   * A change reaches a phone only once it has fetched from us before: until
   * then it has not read our no-reboot setting, and a factory Yealink reboots
   * on every check-sync. An admin may still ask explicitly (a sipContact alone is not enough).
   */
  function wanted(device: DeviceRecord, explicit: boolean): boolean {
    if (device.lines.length === 0 || !eventFor(device)) return false;
    return explicit || device.fetchedVersion !== null;
  }

  async function runJob(job: Job, attempt: number): Promise<'done' | 'retry' | 'defer'> {
    const device = await store.getDevice(job.mac);
    if (!device || !wanted(device, job.explicit)) return 'done';
    const event = eventFor(device)!;
    const t = await target(device);
    if (!t) return 'done';
    const now = timers.now();
    const leaseFor = config.timerFMs * 2 + 5_000;
    if (!(await store.acquireLease(`notify:${job.mac}`, d.holder, iso(), new Date(now + leaseFor).toISOString()))) {
      return 'defer';
    }
    try {
      const current = (await store.getDevice(job.mac))?.notify;
      // Another instance sent this very change already.
      if (current && current.key === job.key && current.state !== 'queued' && attempt === 1) return 'done';
      const base = { via: t.via, target: t.label, key: job.key, attempts: attempt };
      await record(job.mac, { ...base, state: 'sent', at: iso(), code: null });
      const ext = await store.getExtension(t.extension);
      const credentials = ext
        ? { user: ext.authUsername, password: d.box.open(ext.secretSealed, secretContext(ext.number)), realms: acceptedRealms(ext) }
        : null;
      const result = await d.send({ dest: t.dest, uri: t.uri, event, credentials });
      const at = iso();
      if (result.code !== null && result.code >= 200 && result.code < 300) {
        await record(job.mac, { ...base, state: 'acknowledged', at, code: result.code });
        watchFetch(job.mac, at);
        return 'done';
      }
      const retryable = result.code === null || TRANSIENT.has(result.code);
      if (retryable && attempt <= config.backoffMs.length) {
        await record(job.mac, { ...base, state: 'queued', at, code: result.code });
        return 'retry';
      }
      await record(job.mac, { ...base, state: 'failed', at, code: result.code });
      if (result.problem) log.info({ mac: job.mac, target: t.label, problem: result.problem, attempts: attempt }, 'check-sync NOTIFY got no answer; polling takes over');
      return 'done';
    } finally {
      // Released, so another instance may notify the next change at once.
      await store.acquireLease(`notify:${job.mac}`, d.holder, iso(), iso());
    }
  }

  /** An acknowledged NOTIFY should bring a fetch; without one the device is flagged no-fetch. */
  function watchFetch(mac: string, ackAt: string) {
    const old = fetchTimers.get(mac);
    if (old !== undefined) timers.clearTimeout(old);
    const handle = timers.setTimeout(() => {
      fetchTimers.delete(mac);
      void (async () => {
        const device = await store.getDevice(mac);
        const n = device?.notify;
        if (!device || !n || n.state !== 'acknowledged' || n.at !== ackAt) return;
        if (device.lastFetch && Date.parse(device.lastFetch.at) >= Date.parse(ackAt)) return;
        await record(mac, { ...n, state: 'no-fetch', at: iso() });
      })().catch((err) => log.error({ err, mac }, 'could not record a missing fetch'));
    }, config.fetchWaitMs);
    fetchTimers.set(mac, handle);
  }

  /** Records each device as queued (a few at a time, so thousands never hold up the event loop) and queues it. */
  async function enqueue(items: { device: DeviceRecord; key: string; explicit: boolean }[]) {
    const known = new Map<string, ExtensionRecord | null>();
    const out: { mac: string; notify: NotifyOutcome }[] = [];
    for (let i = 0; i < items.length; i++) {
      const { device, key, explicit } = items[i]!;
      if (!wanted(device, explicit)) continue;
      // Another instance may have taken this change already: leave its outcome alone.
      const stored = explicit ? null : (await store.getDevice(device.mac))?.notify;
      if (stored && stored.key === key && stored.state !== 'queued') continue;
      const t = await target(device, known);
      if (!t) continue;
      const notify = await record(device.mac, {
        state: 'queued', via: t.via, target: t.label, at: iso(), code: null, attempts: 0, key,
      });
      queue.add(device.mac, { mac: device.mac, key, explicit });
      out.push({ mac: device.mac, notify });
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  }

  async function onCommitted(ops: Extract<ProvEvent, { type: 'committed' }>['ops']) {
    const changed = changedDevices(ops, d.catalog.current().profiles);
    if (changed.length === 0) return;
    const items: { device: DeviceRecord; key: string; explicit: boolean }[] = [];
    for (const c of changed) {
      const device = c.device ?? (await store.getDevice(c.mac));
      if (device) items.push({ device, key: `v${c.version}`, explicit: false });
    }
    await enqueue(items);
  }

  function onEvent(event: ProvEvent) {
    if (event.type === 'committed') {
      void onCommitted(event.ops).catch((err) => log.error({ err }, 'could not queue check-sync NOTIFYs'));
    } else if (event.type === 'fetched') {
      const handle = fetchTimers.get(event.mac);
      if (handle !== undefined) {
        timers.clearTimeout(handle);
        fetchTimers.delete(event.mac);
      }
    }
  }

  return {
    start() {
      unsubscribe ??= d.events.subscribe(onEvent);
    },
    /** Queues these devices now (an admin's sync request); answers those that could be queued. */
    request: (devices: DeviceRecord[], key: string) =>
      enqueue(devices.map((device) => ({ device, key, explicit: true }))),
    /** Why a device cannot be notified on request, or null when it can. */
    async refusal(device: DeviceRecord): Promise<string | null> {
      const refused = pushRefusal(config.mode, device, eventFor(device) !== null);
      if (refused) return refused;
      return (await target(device)) ? null : "the device's first line has no extension";
    },
    pending: () => queue.pending() + queue.inFlight(),
    stop() {
      unsubscribe?.();
      unsubscribe = null;
      queue.stop();
      for (const handle of fetchTimers.values()) timers.clearTimeout(handle);
      fetchTimers.clear();
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
