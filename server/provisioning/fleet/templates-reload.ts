// Template and profile reload. Everything the change reaches (owners whose
// profile, templates or shared settings differ) is first rendered in memory
// with the new catalog, a page at a time, to prove it renders (nothing is
// kept, so memory does not grow with the fleet): one failure refuses the
// whole reload and changes nothing, so a broken template never replaces a
// good render.
// Once all of it renders, every process takes the new catalog (so a change
// made meanwhile renders with it too) and the files that differ are stored
// page by page, as a reconcile would. If the store fails part-way, the
// catalog is already the new one and the next sweep or restart stores the rest.
import { InvalidInput } from '../../domain/errors.ts';
import type { Actor } from '../../domain/token.ts';
import type { Catalog, CatalogHolder } from '../../render/catalog.ts';
import type { RenderFailure } from '../../render/renderer.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import { applyPages } from './reconcile.ts';
import type { Rerenderer } from './rerender.ts';

export interface ReloadDeps {
  catalog: CatalogHolder;
  /** Reads profiles and templates from disk; throws on a file that does not load. */
  load: () => Catalog;
  rerenderer: Rerenderer;
  runChange: RunChange;
  clock: () => Date;
}

export interface ReloadOptions {
  /** Render every file, not only those whose profile, templates or shared settings changed. */
  full?: boolean;
  /** Makes every other process take the new catalog (workers read it from disk too); called before anything is stored. */
  swapped?: () => Promise<void>;
}

export type ReloadResult = {
  changedFiles: number;
  changedDevices: number;
  renderedDevices: number;
  renderedExtensions: number;
  full: boolean;
  unmatchedFiles: string[];
};

export function createTemplatesReload({ catalog, load, rerenderer, runChange, clock }: ReloadDeps) {
  // One at a time: each compares with the catalog the one before it left in force.
  let queue: Promise<unknown> = Promise.resolve();
  return function reload(actor: Actor, options: ReloadOptions = {}): Promise<ReloadResult> {
    const run = queue.then(() => reloadNow(actor, options));
    queue = run.catch(() => undefined);
    return run;
  };

  async function reloadNow(actor: Actor, { full = false, swapped = async () => {} }: ReloadOptions): Promise<ReloadResult> {
    // What the stored renders were made with: an owner whose inputs are the same
    // in both renders as it is stored, and renders now as it rendered then.
    // So the proof always leaves such owners out; only a full reload stores them again.
    const current = catalog.current();
    const since = full ? undefined : current;
    let next: Catalog;
    try {
      next = load();
    } catch (err) {
      throw new InvalidInput((err as Error).message, 'template-invalid');
    }
    const failures: RenderFailure[] = [];
    await rerenderer.eachPage(next, true, async (plan) => {
      const page = await plan();
      failures.push(...page.failures);
      return page;
    }, current);
    if (failures.length > 0) {
      const first = failures[0]!;
      const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
      throw new InvalidInput(`nothing was changed: device ${first.owner}, file ${first.file}: ${first.reason}${more}`, 'render-failed');
    }
    catalog.swap(next);
    await swapped();
    const applied = await applyPages(rerenderer, next, runChange, since);
    const result = {
      changedFiles: applied.files,
      changedDevices: applied.devices,
      renderedDevices: applied.rendered.devices,
      renderedExtensions: applied.rendered.extensions,
      full,
      unmatchedFiles: next.unmatchedOverrides,
    };
    const audit = auditOp(actor, clock().toISOString(), 'templates.reloaded', 'templates', result);
    await runChange(async () => ({ ops: [audit], result: undefined, rendered: true }));
    return result;
  }
}
