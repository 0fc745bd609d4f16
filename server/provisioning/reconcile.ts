// Reconcile: brings every stored render in line with the current state and
// catalog. It is the repair path for a change interrupted between its write
// and its re-render (the renders then differ from what the state renders, the
// "older than its inputs" check done on bytes), and it picks up templates,
// profiles and a public URL that changed while the server was down. Start-up
// and the render sweep job both run it.
import type { Logger } from 'pino';
import type { Catalog } from '../render/catalog.ts';
import type { RunChange } from './change-runner.ts';
import type { Rerenderer } from './rerender.ts';

/**
 * Commits the writes that bring stored renders up to date and returns how
 * many there were. A file that no longer renders keeps its last good bytes
 * and is logged.
 */
export async function reconcile(rerenderer: Rerenderer, catalog: Catalog, runChange: RunChange, log: Logger): Promise<number> {
  const changed = await runChange(async () => {
    // A device or vendor that fails contributes no writes, so its last good files stay.
    const { ops, failures } = await rerenderer.planAll(catalog);
    for (const f of failures) {
      log.error({ owner: f.owner, file: f.file, reason: f.reason }, 'file does not render; serving its last good version');
    }
    return { ops, result: ops.length, rendered: true };
  });
  if (changed > 0) log.info({ writes: changed }, 'stored renders brought up to date');
  return changed;
}
