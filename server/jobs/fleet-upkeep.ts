// Whole-fleet upkeep in the process that owns it (the primary, or the one
// process): the start-up reconcile, in the background once the caller says
// (the primary: its workers listening), and then the periodic sweep, which
// reconciles again and deletes audit events past PROV_AUDIT_DAYS. Until the
// reconcile is done, phones get the last good stored bytes.
import type { Logger } from 'pino';
import type { Store } from '../storage/store.ts';
import { createSweepJob, type SweepJob } from './sweep-job.ts';

export interface FleetUpkeep {
  sweep: SweepJob;
  /** Resolves when the start-up reconcile has run (or failed, which is logged). */
  reconciled: Promise<void>;
  stop: () => Promise<void>;
}

export interface UpkeepDeps {
  store: Pick<Store, 'acquireLease' | 'pruneAudit'>;
  /** How long audit events are kept. */
  auditDays: number;
  /** This instance's id in the sweep lease. */
  holder: string;
  minutes: number;
  clock: () => Date;
  log: Logger;
  /** The work: re-render what is stale. */
  reconcile: () => Promise<unknown>;
}

/** Creates the sweep job (the caller starts it); with `own`, runs the reconcile once `after` resolves. */
export function startFleetUpkeep(deps: UpkeepDeps, own: { after: Promise<void> } | null): FleetUpkeep {
  const { store, log, clock, auditDays } = deps;
  const reconcile = async () => {
    await deps.reconcile();
    const before = new Date(clock().getTime() - auditDays * 86_400_000).toISOString();
    const deleted = await store.pruneAudit(before);
    if (deleted > 0) log.info({ deleted, before }, 'audit events past PROV_AUDIT_DAYS deleted');
  };
  // Each instance sweeps under its own id; the store lease lets one of them at a time.
  const sweep = createSweepJob({ ...deps, sweep: reconcile });
  // A reconcile still waiting for its turn when the server stops never starts.
  let closing = false;
  let reconciling: Promise<void> = Promise.resolve();
  let reconciled: Promise<void> = Promise.resolve();
  if (own) {
    const run = () =>
      reconcile().then(
        () => log.info('reconciled'),
        (err: unknown) => log.error({ err }, 'start-up reconcile failed; the sweep tries again'),
      );
    reconciled = own.after.then(() => {
      if (!closing) reconciling = run();
      return reconciling;
    });
  }
  return {
    sweep,
    reconciled,
    stop: async () => {
      closing = true;
      await sweep.stop();
      await reconciling;
    },
  };
}
