// Firmware learnt from phones' User-Agents, coalesced. A known phone's first
// fetch with a new firmware string is recorded on its device and audited,
// but no file is made from it (templates never see the firmware), so nothing
// waits for it. One commit, with its fsync, per phone made a site's first
// boot, or the first fetches after a firmware upgrade, run at the disk's
// commit rate. Learnings are queued (the latest per device wins) and
// committed together at most `flushMs` after the first of them, through the
// change runner like every write; a crash loses at most that long of them,
// and each phone's next fetch learns again.
import type { Logger } from 'pino';
import type { Store, WriteOp } from '../../storage/store.ts';
import type { RunChange } from '../change/change-runner.ts';
import { createCoalescer, type Coalescer } from './coalescer.ts';

export interface Learnt {
  firmware: string;
  /** The vendor whose User-Agent said it: a device re-created as another vendor meanwhile is left alone. */
  vendor: string;
  ip: string;
  at: string;
}

export type FirmwareLearning = Coalescer<Learnt>;

/** Devices per commit, so one commit stays the size of a whole-fleet page. */
const BATCH = 250;

export function createFirmwareLearning(deps: {
  /** Reads devices without waiting for the fetch barrier (this is part of what the barrier flushes). */
  store: Pick<Store, 'getDevice'>;
  runChange: RunChange;
  log: Logger;
  flushMs?: number;
}): FirmwareLearning {
  const { store, runChange, log, flushMs = 1000 } = deps;

  async function plan(batch: [string, Learnt][]): Promise<WriteOp[]> {
    const ops: WriteOp[] = [];
    for (const [mac, l] of batch) {
      const d = await store.getDevice(mac);
      if (!d || d.vendor !== l.vendor || (d.firmware ?? null) === l.firmware) continue;
      ops.push(
        { op: 'update-device', record: { ...d, firmware: l.firmware, updatedAt: l.at, rev: d.rev + 1 }, expectRev: d.rev },
        {
          op: 'audit',
          event: { at: l.at, actor: `phone:${mac}`, actorTokenId: null, action: 'device.learnt', target: `device:${mac}`, details: { model: d.model, firmware: l.firmware, ip: l.ip } },
        },
      );
    }
    return ops;
  }

  async function commit(batch: [string, Learnt][]): Promise<void> {
    // Nothing to write is no commit: every commit makes the phone caches read again.
    if ((await plan(batch)).length === 0) return;
    // Re-planned from fresh reads if an admin changed one of the devices meanwhile.
    await runChange(async () => ({ ops: await plan(batch), result: undefined, rendered: true }));
  }

  return createCoalescer<Learnt>(async (all) => {
    for (let i = 0; i < all.length; i += BATCH) {
      const batch = all.slice(i, i + BATCH);
      await commit(batch).catch((err: unknown) => {
        // Status only: each of these phones learns again at its next fetch.
        log.error({ err, devices: batch.length }, 'learnt firmware could not be stored');
      });
    }
  }, flushMs);
}
