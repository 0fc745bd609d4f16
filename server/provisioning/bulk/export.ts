// The fleet as a spreadsheet: the import's columns, one row per extension
// and device line (an extension without devices on a row of its own), cells
// safe from formula injection. Without secrets for anyone who may read the
// fleet; with them only for an admin, and audited. Read back by the import,
// it changes nothing.
import { stringify } from 'csv-stringify/sync';
import type { DeviceRecord } from '../../domain/device.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import { secretContext } from '../../domain/seal-contexts.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { siteOf } from '../../domain/site.ts';
import type { Actor } from '../../domain/token.ts';
import type { Store } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import { COLUMNS, joinHostPort, safeCell, type Column } from './csv-cells.ts';

export interface ExportDeps {
  store: Store;
  box: SecretBox;
  clock: () => Date;
  runChange: RunChange;
}

function extensionCells(e: ExtensionRecord, secret: string | null): Partial<Record<Column, string>> {
  return {
    extension: e.number,
    name: e.displayName,
    authUsername: e.authUsername,
    secret: secret ?? '',
    // An extension that follows its site's registrar leaves it to the site, on import too.
    server: e.serverFromSite ? '' : joinHostPort(e.server.host, e.server.port),
    transport: e.serverFromSite ? '' : e.server.transport,
    site: siteOf(e),
    extensionLabel: e.label ?? '',
    outboundProxy: e.outboundProxy ? joinHostPort(e.outboundProxy.host, e.outboundProxy.port) : '',
    srtp: e.media?.srtp ?? '',
  };
}

function deviceCells(d: DeviceRecord, line: number): Partial<Record<Column, string>> {
  return { mac: d.mac, vendor: d.vendor, model: d.model ?? '', line: String(line), label: d.label ?? '', deviceSite: d.site ?? '' };
}

export function createExport({ store, box, clock, runChange }: ExportDeps) {
  return {
    /** The whole fleet as CSV text, with a byte order mark so spreadsheets read it as UTF-8. */
    async csv(actor: Actor, { secrets = false }: { secrets?: boolean } = {}): Promise<string> {
      const extensions = await store.listExtensions();
      const byExtension = new Map<string, { device: DeviceRecord; line: number }[]>();
      for (const d of await store.listDevices()) {
        for (const l of d.lines) {
          const on = byExtension.get(l.extension) ?? [];
          on.push({ device: d, line: l.line });
          byExtension.set(l.extension, on);
        }
      }
      if (secrets) {
        // Audited before a byte leaves: a reveal that cannot be recorded does not happen.
        await runChange(async () => ({
          ops: [auditOp(actor, clock().toISOString(), 'export.secrets', 'export', { extensions: extensions.length })],
          result: undefined,
        }));
      }
      const rows: string[][] = [[...COLUMNS]];
      for (const e of extensions) {
        const cells = extensionCells(e, secrets ? box.open(e.secretSealed, secretContext(e.number)) : null);
        const lines = (byExtension.get(e.number) ?? []).sort((a, b) => a.device.mac.localeCompare(b.device.mac) || a.line - b.line);
        for (const on of lines.length ? lines : [null]) {
          const all = { ...cells, ...(on ? deviceCells(on.device, on.line) : {}) };
          rows.push(COLUMNS.map((c) => safeCell(all[c] ?? '')));
        }
      }
      return '\ufeff' + stringify(rows, { record_delimiter: 'windows' });
    },
  };
}

export type Export = ReturnType<typeof createExport>;
