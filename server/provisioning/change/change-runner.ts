// Room: provisioning/change/ owns the one change path (this runner) and the event
// bus it publishes on. It may call domain/, render/ (for its errors) and
// storage/; every other provisioning room writes through it.
//
// The one path every change takes: plan on fresh data, let the renderer add
// the re-rendered files that the change affects, commit all of it as one
// batch, and re-plan if another writer got there first. Because every use
// case goes through here, no change can skip re-rendering.
import { Conflict, InvalidInput } from '../../domain/errors.ts';
import { RenderFailure } from '../../render/renderer.ts';
import { BrokenReference, DuplicateKey, RevisionMismatch, type Store, type WriteOp } from '../../storage/store.ts';
import { silentBus, type EventBus } from './events.ts';

export interface Planned<T> {
  ops: WriteOp[];
  result: T;
  /** The ops already hold their renders (a full re-render); the renderers are not asked again. */
  rendered?: boolean;
}

/** Given a planned batch, returns the extra writes (renders, version bumps) it implies. */
export interface ConfigRenderer {
  rerender(ops: WriteOp[]): Promise<WriteOp[]>;
}

export const noRendering: ConfigRenderer = { rerender: async () => [] };

/** Several renderers as one; each sees only the change's own operations. */
export function allOf(...renderers: ConfigRenderer[]): ConfigRenderer {
  return {
    async rerender(ops) {
      const out: WriteOp[] = [];
      for (const r of renderers) out.push(...(await r.rerender(ops)));
      return out;
    },
  };
}

export type RunChange = <T>(plan: () => Promise<Planned<T>>) => Promise<T>;

/**
 * How long a change keeps re-planning after another writer got there first:
 * at least `attempts` plans, and on until `ms` have passed. A count alone
 * runs out when many writers queue on one guard and each commit takes round
 * trips (instances on one database without transactions, where a batch holds
 * its guard until it is written): the last of eight would be refused though
 * the rule never stood in its way.
 */
export interface Patience {
  attempts: number;
  ms: number;
}

const PATIENCE: Patience = { attempts: 8, ms: 10_000 };

/**
 * Before a re-plan: a few milliseconds, random and growing to a quarter of a
 * second, so writers that keep meeting on one guard or record stop arriving
 * together.
 */
const backOff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(4 * 2 ** attempt, 250)));

export function createChangeRunner(store: Store, renderer: ConfigRenderer, events: EventBus = silentBus, patience: Patience = PATIENCE): RunChange {
  return async function runChange<T>(plan: () => Promise<Planned<T>>): Promise<T> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const { ops, result, rendered } = await plan();
      try {
        const batch = rendered ? ops : [...ops, ...(await renderer.rerender(ops))];
        await store.commit(batch);
        events.publish({ type: 'committed', ops: batch });
        return result;
      } catch (err) {
        if (err instanceof RevisionMismatch && (attempt < patience.attempts || Date.now() - started < patience.ms)) {
          // The first re-plan is at once: on one process a conflict is rare and its winner is done.
          if (attempt > 1) await backOff(attempt);
          continue;
        }
        throw translate(err);
      }
    }
  };
}

/** Store refusals that a use case's own checks missed because of a concurrent writer. */
function translate(err: unknown): unknown {
  if (err instanceof DuplicateKey) return new Conflict(`${err.entity}-exists`, err.message);
  if (err instanceof BrokenReference) {
    return err.kind === 'in-use'
      ? new Conflict('extension-in-use', err.message)
      : new InvalidInput(err.message, 'unknown-extension');
  }
  if (err instanceof RevisionMismatch) return new Conflict('concurrent-change', err.message);
  if (err instanceof RenderFailure) {
    const what = err.code === 'unsupported-value' ? `${err.reason} (for ${err.owner})` : `the change cannot be rendered: ${err.message}`;
    return new InvalidInput(what, err.code);
  }
  return err;
}
