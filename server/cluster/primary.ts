// The primary of a multi-worker instance: forks PROV_WORKERS workers that
// serve every route, and is the hub of what must be one per instance — it
// relays scan-guard strikes and live events between workers, forwards a
// Digest nonce-count question to the worker that issued the nonce, receives
// every worker's fetch records and writes them coalesced, and runs the
// whole-fleet work (start-up reconcile, sweep, template reloads) so that no
// worker serving phones renders the fleet. A worker that dies is replaced;
// on SIGTERM or SIGINT every worker is stopped gracefully before the
// primary lets go of the store.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Actor } from '../domain/token.ts';
import type { FetchCoalescer } from '../provisioning/phones/fetch-records.ts';
import type { FirmwareLearning, Learnt } from '../provisioning/phones/firmware-learning.ts';
import type { GuardFact } from '../provisioning/phones/scan-guard.ts';
import type { EventBus, ProvEvent } from '../provisioning/change/events.ts';
import type { FetchRecord } from '../storage/store.ts';
import { RELAY_SLICE_OPS, slices, slim, weightOf } from './event-relay.ts';
import { createLink, type Link, type Post } from './link.ts';
import { NC_CALL, type NonceCountQuestion } from './shared-nonce-book.ts';
import { atOnce } from './shared-scan-guard.ts';
import { serveUseCases, type Forwarded } from './through-primary.ts';

export const FLUSH_CALL = 'flush-fetches';
export const RELOAD_CALL = 'reload-templates';
export const SWAP_CALL = 'swap-catalog';
/** A worker's first call: answered once the primary has opened the store. */
export const GO_CALL = 'may-assemble';
/** An admin's check-sync request on a worker: the primary hosts the notifier. */
export const SYNC_CALL = 'sync-request';

/** What the primary does for a worker on request. */
export interface PrimaryServices {
  fetches: FetchCoalescer;
  learning: FirmwareLearning;
  /** Writes what both have queued: the barrier admin reads wait for. */
  flush: () => Promise<void>;
  /** `swapped` makes every worker take the new catalog; the reload calls it before it stores anything. */
  reloadTemplates: (actor: Actor, options: { full?: boolean; swapped: () => Promise<void> }) => Promise<unknown>;
  sync: (what: 'device' | 'extension', actor: Actor, key: string) => Promise<unknown>;
  /** The use cases workers hand over (see through-primary.ts). */
  useCases: Record<Forwarded, object>;
}
const STOP_GRACE_MS = 10_000;
/** A read waits this long at most for a worker to hand over its queue: a stalled worker must not stall the admin. */
export const COLLECT_MS = 2_000;

export interface PrimaryDeps {
  workers: number;
  log: Logger;
  /** The primary's own bus, for listeners hosted here; worker events are published on it too. */
  local: EventBus;
  /**
   * The primary's own assembly (store open, migrations, first token). Workers
   * are forked before it is done, so that they load their code meanwhile,
   * and are told to assemble once it is.
   */
  assembled: Promise<PrimaryServices>;
  /** A worker exited before it ever listened (a port in use, a bad certificate): the boot has failed. */
  onBootFailure: () => void;
  /** Every worker of the first round listens. */
  onAllListening?: () => void;
}

export interface Hub {
  /** Sends an event published in the primary to every worker. */
  broadcast(event: ProvEvent): void;
  /**
   * Resolves once what every serving worker had queued to post (fetch
   * records, learnt firmware) has arrived here: a phone answered by any
   * worker is then in the primary's queues. A worker that takes longer than
   * COLLECT_MS is not waited for.
   */
  collect(): Promise<void>;
  /** Stops every worker; resolves with whether all of them exited cleanly. */
  stop(): Promise<boolean>;
}

export function startPrimary({ workers, log, local, assembled, onBootFailure, onAllListening }: PrimaryDeps): Hub {
  let listeningWorkers = 0;
  let fetches: FetchCoalescer | null = null;
  let learning: FirmwareLearning | null = null;
  let flush: PrimaryServices['flush'] | null = null;
  let reloadTemplates: PrimaryServices['reloadTemplates'] | null = null;
  let sync: PrimaryServices['sync'] | null = null;
  const go = assembled.then((a) => {
    fetches = a.fetches;
    learning = a.learning;
    flush = a.flush;
    reloadTemplates = a.reloadTemplates;
    sync = a.sync;
  });
  // A failed assembly is the caller's to report; forked workers are stopped by its stop().
  go.catch(() => undefined);
  const links = new Map<number, Link>();
  // Workers that serve (they said ready): only they have anything queued, and only they are sure to answer.
  const ready = new Set<Link>();
  let stopping = false;
  let cleanExits = true;
  const exits = new Map<number, Promise<void>>();

  // Only workers with listeners hear relayed events: with no console open, a
  // worker would parse every other worker's fetches and every reload page for nothing.
  const listening = new Set<number>();
  const others = (from: number) => [...links].filter(([id]) => id !== from).map(([, l]) => l);
  const hearing = (from?: number) => [...links].filter(([id]) => id !== from && listening.has(id)).map(([, l]) => l);

  // Events go out in order, at most RELAY_SLICE_OPS operations a turn: a
  // full reload's commit reaches each worker as many small messages, each
  // parsed between phone requests rather than all at once.
  const relayQueue: { to: Link[]; event: ProvEvent }[] = [];
  let relayScheduled = false;
  function drainRelay(): void {
    let budget = RELAY_SLICE_OPS;
    while (relayQueue.length > 0 && budget > 0) {
      const { to, event } = relayQueue.shift()!;
      for (const l of to) l.post({ k: 'event', event });
      budget -= weightOf(event);
    }
    if (relayQueue.length > 0) setImmediate(drainRelay);
    else relayScheduled = false;
  }
  function relay(to: Link[], event: ProvEvent): void {
    if (to.length === 0) return;
    for (const slice of slices(slim(event))) relayQueue.push({ to, event: slice });
    if (!relayScheduled) {
      relayScheduled = true;
      setImmediate(drainRelay);
    }
  }

  function onPost(from: number, post: Post): void {
    if (post.k === 'guard') for (const l of others(from)) l.post(post, atOnce(post.fact as GuardFact));
    else if (post.k === 'event') {
      local.publish(post.event as ProvEvent);
      relay(hearing(from), post.event as ProvEvent);
    } else if (post.k === 'fetch') fetches!.add(post.mac, post.fetch as FetchRecord);
    else if (post.k === 'learnt') learning!.add(post.mac, post.learnt as Learnt);
    else if (post.k === 'listening-for-events') {
      if (post.on) listening.add(from);
      else listening.delete(from);
    }
  }

  function fork(): Worker {
    const worker = cluster.fork();
    const link = createLink(worker);
    let listened = false;
    links.set(worker.id, link);
    link.onPost((post) => {
      if (post.k === 'ready') {
        listened = true;
        ready.add(link);
        if (++listeningWorkers === workers) onAllListening?.();
      }
      else onPost(worker.id, post);
    });
    link.serve(NC_CALL, async (q: NonceCountQuestion) => {
      const issuer = links.get(q.issuer);
      // The issuer exited: its record of used counts is gone, so nothing can be proved fresh.
      return issuer ? issuer.call<boolean>(NC_CALL, q).catch(() => false) : false;
    });
    link.serve(FLUSH_CALL, () => flush!());
    link.serve(RELOAD_CALL, ({ actor, full }: { actor: Actor; full: boolean }) =>
      reloadTemplates!(actor, {
        full,
        // Every worker reads the catalog again once it is proven, before any file is stored with it.
        swapped: async () => {
          await Promise.all([...links.values()].map((l) => l.call(SWAP_CALL).catch(() => undefined)));
        },
      }),
    );
    link.serve(SYNC_CALL, (q: { what: 'device' | 'extension'; actor: Actor; key: string }) => sync!(q.what, q.actor, q.key));
    serveUseCases(link, () => assembled.then((a) => a.useCases));
    // Nothing a worker posts or asks can arrive before it was told to assemble.
    // Asked once its code is loaded (a message sent before it listens would be lost).
    link.serve(GO_CALL, () => go);
    exits.set(
      worker.id,
      new Promise((resolve) =>
        worker.once('exit', (code, signal) => {
          links.delete(worker.id);
          ready.delete(link);
          listening.delete(worker.id);
          exits.delete(worker.id);
          link.fail('worker exited');
          if (stopping) {
            // A worker still loading when the stop came has nothing to hand over: ended by the signal is clean for it.
            if (code !== 0 && listened) cleanExits = false;
            log.info({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker stopped');
          } else if (!listened) {
            log.fatal({ worker: worker.id, code, signal }, 'a worker could not start; stopping');
            onBootFailure();
          } else {
            log.error({ worker: worker.id, pid: worker.process.pid, code, signal }, 'worker exited; starting another');
            // Not at once: a worker that dies at boot must not fork in a tight loop.
            setTimeout(() => !stopping && fork(), 1000).unref();
          }
          resolve();
        }),
      ),
    );
    return worker;
  }

  for (let i = 0; i < workers; i++) fork();
  log.info({ workers }, 'workers started');

  return {
    broadcast(event) {
      relay(hearing(), event);
    },
    async collect() {
      await Promise.all(
        [...ready].map((l) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, COLLECT_MS)));
          return Promise.race([l.handedOver().catch(() => undefined), late]).finally(() => clearTimeout(timer));
        }),
      );
    },
    async stop() {
      stopping = true;
      const waiting = [...exits.values()];
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      const timeout = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), STOP_GRACE_MS).unref());
      const outcome = await Promise.race([Promise.all(waiting).then(() => 'done' as const), timeout]);
      if (outcome === 'late') {
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        return false;
      }
      return cleanExits;
    },
  };
}
