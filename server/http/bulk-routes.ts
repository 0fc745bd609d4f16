// Import and export: a spreadsheet in, the fleet out. Thin like the rest of
// the route table (admin-api.ts).
import { Forbidden } from '../domain/errors.ts';
import { MAX_IMPORT_BYTES } from '../provisioning/bulk/csv-read.ts';
import type { Export } from '../provisioning/bulk/export.ts';
import type { Import } from '../provisioning/bulk/import.ts';
import { readCsvBody } from './body.ts';
import type { Route } from './route-table.ts';
import * as s from './schemas.ts';

export function bulkRoutes(importer: Import, exporter: Export): Route[] {
  return [
    ['post', '/import', 'admin', async (ctx, actor) => {
      const { dryRun } = ctx.state.query as { dryRun: boolean };
      const result = await importer.run(actor, await readCsvBody(ctx, MAX_IMPORT_BYTES), { dryRun });
      const refused = !dryRun && !result.applied;
      ctx.status = refused ? 422 : 200;
      ctx.body = refused
        ? { error: { code: 'invalid-import', message: `${result.errors.length + result.moreErrors} problem(s) in the file; nothing was written` }, ...result }
        : result;
    }, { summary: 'create and change extensions and devices from a CSV file (text/csv), all or nothing; ?dryRun=true only checks', query: s.importQuery }],
    ['get', '/export.csv', 'viewer', async (ctx, actor) => {
      const { secrets } = ctx.state.query as { secrets: boolean };
      if (secrets && actor.role !== 'admin') throw new Forbidden('only an admin may export secrets');
      ctx.set('Cache-Control', 'no-store');
      // Its own name, so a file holding secrets is told apart where it is saved.
      ctx.set('Content-Disposition', `attachment; filename="${secrets ? 'provisioning-export-with-secrets.csv' : 'provisioning-export.csv'}"`);
      ctx.type = 'text/csv; charset=utf-8';
      ctx.body = await exporter.csv(actor, { secrets });
    }, { summary: 'every extension and device line as CSV, the import\'s columns; ?secrets=true (admin, audited) adds the secrets', query: s.exportQuery, reveals: true }],
  ];
}
