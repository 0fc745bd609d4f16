// Template and profile reload: everything is rendered in memory with the new
// catalog first; one failure refuses the whole reload and changes nothing,
// so a broken template never replaces a good render.
import { InvalidInput } from '../domain/errors.ts';
import type { Actor } from '../domain/token.ts';
import type { Catalog, CatalogHolder } from '../render/catalog.ts';
import { auditOp } from './audit-log.ts';
import type { RunChange } from './change-runner.ts';
import type { Rerenderer } from './rerender.ts';

export interface ReloadDeps {
  catalog: CatalogHolder;
  /** Reads profiles and templates from disk; throws on a file that does not load. */
  load: () => Catalog;
  rerenderer: Rerenderer;
  runChange: RunChange;
  clock: () => Date;
}

export function createTemplatesReload({ catalog, load, rerenderer, runChange, clock }: ReloadDeps) {
  return async function reload(actor: Actor) {
    let next: Catalog;
    try {
      next = load();
    } catch (err) {
      throw new InvalidInput((err as Error).message, 'template-invalid');
    }
    const summary = await runChange(async () => {
      const { ops, failures } = await rerenderer.planAll(next);
      if (failures.length > 0) {
        const first = failures[0]!;
        const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
        throw new InvalidInput(
          `nothing was changed: device ${first.owner}, file ${first.file}: ${first.reason}${more}`,
          'render-failed',
        );
      }
      const files = ops.filter((o) => o.op === 'put-render' || o.op === 'delete-render').length;
      const devices = ops.filter((o) => o.op === 'update-device').length;
      const result = { changedFiles: files, changedDevices: devices, unmatchedFiles: next.unmatchedOverrides };
      const audit = auditOp(actor, clock().toISOString(), 'templates.reloaded', 'templates', result);
      return { ops: [...ops, audit], result, rendered: true };
    });
    catalog.swap(next);
    return summary;
  };
}
