// Reconcile: brings every stored render in line with the current state and
// catalog. It is the repair path for a change interrupted between its write
// and its re-render (the renders then differ from what the state renders, the
// "older than its inputs" check done on bytes), and it picks up templates,
// profiles and a public URL that changed while the server was down. Start-up,
// the render sweep job and a template reload all run it. It commits a page
// of owners at a time (each page whole, re-planned if a change got there
// first), so neither memory nor a single commit grows with the fleet.
import type { Logger } from 'pino';
import type { Catalog } from '../../render/catalog.ts';
import type { RenderFailure } from '../../render/renderer.ts';
import type { RunChange } from '../change/change-runner.ts';
import type { PagePlan, Rerenderer } from './rerender.ts';

export interface Applied {
  /** Every write committed: files stored or removed, and device version bumps. */
  writes: number;
  files: number;
  devices: number;
  /** Files that did not render: their last good version stays. */
  failures: RenderFailure[];
  /** Owners rendered and compared (with `since`, those whose inputs changed). */
  rendered: { devices: number; extensions: number };
}

/** What a page's writes are: files stored or removed, devices whose version moved. */
function count(ops: PagePlan['ops']): { files: number; devices: number } {
  let files = 0;
  let devices = 0;
  for (const o of ops) {
    if (o.op === 'put-render' || o.op === 'delete-render') files++;
    else if (o.op === 'update-device') devices++;
  }
  return { files, devices };
}

/**
 * Renders everything with `catalog` and commits what differs, page by page;
 * with `since`, only the owners whose render inputs differ between the two.
 */
export async function applyPages(rerenderer: Rerenderer, catalog: Catalog, runChange: RunChange, since?: Catalog): Promise<Applied> {
  const applied: Applied = { writes: 0, files: 0, devices: 0, failures: [], rendered: { devices: 0, extensions: 0 } };
  await rerenderer.eachPage(catalog, false, async (plan) => {
    const first = await plan();
    let page = first;
    if (first.ops.length > 0) {
      let replans = 0;
      page = await runChange(async () => {
        const p = replans++ === 0 ? first : await plan();
        // A device or vendor that fails contributes no writes, so its last good files stay.
        return { ops: p.ops, result: p, rendered: true };
      });
    }
    const c = count(page.ops);
    applied.writes += page.ops.length;
    applied.files += c.files;
    applied.devices += c.devices;
    applied.failures.push(...page.failures);
    applied.rendered.devices += page.rendered.devices;
    applied.rendered.extensions += page.rendered.extensions;
    return page;
  }, since);
  return applied;
}

/**
 * Commits the writes that bring stored renders up to date and returns how
 * many there were. A file that no longer renders keeps its last good bytes
 * and is logged.
 */
export async function reconcile(rerenderer: Rerenderer, catalog: Catalog, runChange: RunChange, log: Logger): Promise<number> {
  const { writes, failures } = await applyPages(rerenderer, catalog, runChange);
  for (const f of failures) {
    log.error({ owner: f.owner, file: f.file, reason: f.reason }, 'file does not render; serving its last good version');
  }
  if (writes > 0) log.info({ writes }, 'stored renders brought up to date');
  return writes;
}
