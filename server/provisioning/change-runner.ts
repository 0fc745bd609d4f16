// The one path every change takes: plan on fresh data, let the renderer add
// the re-rendered files that the change affects, commit all of it as one
// batch, and re-plan if another writer got there first. Because every use
// case goes through here, no change can skip re-rendering.
import { Conflict, InvalidInput } from '../domain/errors.ts';
import { BrokenReference, DuplicateKey, RevisionMismatch, type Store, type WriteOp } from '../storage/store.ts';

export interface Planned<T> {
  ops: WriteOp[];
  result: T;
}

/** Given a planned batch, returns the extra writes (renders, version bumps) it implies. */
export interface ConfigRenderer {
  rerender(ops: WriteOp[]): Promise<WriteOp[]>;
}

export const noRendering: ConfigRenderer = { rerender: async () => [] };

export type RunChange = <T>(plan: () => Promise<Planned<T>>) => Promise<T>;

const ATTEMPTS = 5;

export function createChangeRunner(store: Store, renderer: ConfigRenderer): RunChange {
  return async function runChange<T>(plan: () => Promise<Planned<T>>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const { ops, result } = await plan();
      try {
        await store.commit([...ops, ...(await renderer.rerender(ops))]);
        return result;
      } catch (err) {
        if (err instanceof RevisionMismatch && attempt < ATTEMPTS) continue;
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
  return err;
}
