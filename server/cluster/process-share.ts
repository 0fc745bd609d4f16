// What a process keeps for itself and what it shares. A single process, or
// the primary of several, holds the scan guard, the Digest nonce counts, the
// fetch records and learnt firmware, and runs the fleet's use cases, the
// template reload and check-sync requests itself. A worker holds replicas
// (strikes, nonces it issued) and hands the rest to the primary, so each of
// these stays one per instance however requests are spread.
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createNonceBook, type NonceBook } from '../domain/digest.ts';
import { deriveKey } from '../domain/secret-box.ts';
import type { Actor } from '../domain/token.ts';
import type { SyncRequests } from '../notify/sync-requests.ts';
import type { RunChange } from '../provisioning/change/change-runner.ts';
import type { ReloadResult } from '../provisioning/fleet/templates-reload.ts';
import { createFetchCoalescer, type FetchCoalescer } from '../provisioning/phones/fetch-records.ts';
import { createFirmwareLearning, type FirmwareLearning, type Learnt } from '../provisioning/phones/firmware-learning.ts';
import { createScanGuard, type ScanGuard } from '../provisioning/phones/scan-guard.ts';
import type { FetchRecord, Store } from '../storage/store.ts';
import type { Link } from './link.ts';
import { FLUSH_CALL, RELOAD_CALL, SYNC_CALL } from './primary.ts';
import { createSharedNonceBook } from './shared-nonce-book.ts';
import { createSharedScanGuard } from './shared-scan-guard.ts';
import { askPrimary, throughPrimary, type Forwarded } from './through-primary.ts';

type Reload = (actor: Actor, options?: { full?: boolean }) => Promise<ReloadResult>;

export interface ProcessShare {
  guard: ScanGuard;
  nonces: NonceBook;
  /** Where a phone's fetch record goes: queued here, or posted to the primary. */
  recordFetch: (mac: string, fetch: FetchRecord) => void;
  learnFirmware: (mac: string, learnt: Learnt) => void;
  /** What an admin's read of fetch state waits for: every queued fetch record and learnt firmware written. */
  barrier: () => Promise<void>;
  /** The queues themselves, in the process that writes them (the primary serves workers' posts into them). */
  fetches: FetchCoalescer | null;
  learning: FirmwareLearning | null;
  /** A use case run here, or asked of the primary. */
  forward: <T extends object>(name: Forwarded, useCase: T) => T;
  reload: (local: () => Reload) => Reload;
  sync: (local: () => SyncRequests) => SyncRequests;
}

export interface ShareDeps {
  config: Config;
  /** The secret key, from which the nonce-signing key is derived. */
  key: Buffer;
  clock: () => Date;
  log: Logger;
}

/** A single process, or the primary: everything is kept here. */
export function ownShare({ config, key, clock, log }: ShareDeps, engine: Store, runChange: RunChange): ProcessShare {
  const fetches = createFetchCoalescer(engine, log);
  const learning = createFirmwareLearning({ store: engine, runChange, log });
  return {
    guard: createScanGuard(config.scan, clock, log),
    nonces: createNonceBook(deriveKey(key, 'digest-nonces'), clock, config.nonceSeconds),
    recordFetch: (mac, fetch) => fetches.add(mac, fetch),
    learnFirmware: (mac, learnt) => learning.add(mac, learnt),
    barrier: async () => {
      await fetches.flush();
      await learning.flush();
    },
    fetches,
    learning,
    forward: (_name, useCase) => useCase,
    reload: (local) => local(),
    sync: (local) => local(),
  };
}

/** A worker: replicas of the guard and its own nonces, and the rest through the primary. */
export function workerShare({ config, key, clock, log }: ShareDeps, link: Link, id: number): ProcessShare {
  return {
    guard: createSharedScanGuard(config.scan, clock, log, link),
    nonces: createSharedNonceBook(deriveKey(key, 'digest-nonces'), clock, config.nonceSeconds, id, link),
    recordFetch: (mac, fetch) => link.post({ k: 'fetch', mac, fetch }),
    learnFirmware: (mac, learnt) => link.post({ k: 'learnt', mac, learnt }),
    barrier: () => link.call<void>(FLUSH_CALL),
    fetches: null,
    learning: null,
    // Fetch state is read in the primary without a round trip per read.
    forward: (name, useCase) => throughPrimary(link, name, useCase),
    reload: () => (actor, { full = false } = {}) => askPrimary<ReloadResult>(link, RELOAD_CALL, { actor, full }),
    // The primary hosts the notifier.
    sync: () => ({
      device: (actor, mac) => askPrimary(link, SYNC_CALL, { what: 'device', actor, key: mac }),
      extension: (actor, number) => askPrimary(link, SYNC_CALL, { what: 'extension', actor, key: number }),
    }),
  };
}
