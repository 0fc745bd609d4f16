// Room: provisioning/bulk/ owns onboarding a fleet from a spreadsheet and
// handing it back as one: import and export. It may call domain/, render/
// (profiles), storage/, provisioning/change/, audit/, and the record
// builders of extensions/, devices/ and sites/.
//
// An import is validated whole before anything is written: every row's
// problems come back at once, and any problem writes nothing. A good file is
// one change through the change runner, so each affected device is
// re-rendered once and notified once, and one audit event tells what it did.
import { extensionGuard } from '../../domain/extension.ts';
import { DEFAULT_SITE, siteGuard, siteOf, UNSET_DEFAULT_SITE, type SiteRecord } from '../../domain/site.ts';
import type { Actor } from '../../domain/token.ts';
import { AppError } from '../../domain/errors.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { readGuard, type Store, type WriteOp } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import { createDeviceRules } from '../devices/device-rules.ts';
import { readCsv } from './csv-read.ts';
import { planDevices } from './device-plan.ts';
import { planExtensions } from './extension-plan.ts';
import { readRows, type ImportRow, type RowError } from './import-rows.ts';

export interface ImportDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  clock: () => Date;
  runChange: RunChange;
  claimMinutes: number;
  rotationGraceMinutes: number;
}

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ImportResult {
  dryRun: boolean;
  /** Whether the file was written (never on a dry run, never with errors). */
  applied: boolean;
  extensions: Counts;
  devices: Counts;
  /** At most MAX_ERRORS of them; `moreErrors` counts the rest. */
  errors: RowError[];
  moreErrors: number;
}

/** Enough to fix a file by; a file wrong on every row does not need 20,000 lines of answer. */
export const MAX_ERRORS = 1000;

const count = <T>(items: Iterable<T>, kind: (t: T) => keyof Counts): Counts => {
  const c = { created: 0, updated: 0, unchanged: 0 };
  for (const i of items) c[kind(i)]++;
  return c;
};

/** The change a file makes, or the problems that stop it. */
interface Plan {
  ops: WriteOp[];
  extensions: Counts;
  devices: Counts;
  errors: RowError[];
  secretsChanged: string[];
}

/** Thrown inside the change to stop it: the plan's errors, nothing written. */
class Refused extends Error {
  constructor(readonly plan: Plan) {
    super('import refused');
  }
}

export function createImport({ store, box, catalog, clock, runChange, claimMinutes, rotationGraceMinutes }: ImportDeps) {
  const { refuseReserved } = createDeviceRules({ store, catalog });
  const reserved = (mac: Parameters<typeof refuseReserved>[0]) => {
    try {
      refuseReserved(mac);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };

  async function plan(actor: Actor, rows: ImportRow[], readErrors: RowError[], total: number): Promise<Plan> {
    const errors = [...readErrors];
    const now = clock();
    const at = now.toISOString();
    const extensions = new Map((await store.listExtensions()).map((e) => [e.number, e]));
    const devices = new Map((await store.listDevices()).map((d) => [d.mac as string, d]));
    const sites = new Map<string, SiteRecord>([[DEFAULT_SITE, UNSET_DEFAULT_SITE], ...(await store.listSites()).map((s) => [s.name, s] as const)]);
    const exts = planExtensions(rows, { box, now, graceMinutes: rotationGraceMinutes, extensions, devices, sites }, errors);
    const devs = planDevices(
      rows,
      {
        box, now, claimMinutes, reserved, devices, sites,
        profiles: catalog.current().profiles,
        extension: (n) => exts.get(n)?.after ?? extensions.get(n),
      },
      errors,
    );
    // A line to an extension that is neither in the file nor stored.
    const told = new Set(errors.map((e) => e.row));
    for (const r of rows) {
      if (r.device && !told.has(r.row) && !exts.has(r.extension) && !extensions.has(r.extension)) {
        errors.push({ row: r.row, column: 'extension', code: 'unknown-extension', message: `extension ${r.extension} does not exist` });
      }
    }
    const result = {
      extensions: count(exts.values(), (e) => (!e.before ? 'created' : e.after === e.before ? 'unchanged' : 'updated')),
      devices: count(devs.values(), (d) => (!d.before ? 'created' : d.changed ? 'updated' : 'unchanged')),
      errors: errors.sort((a, b) => a.row - b.row),
      secretsChanged: [...exts.values()].filter((e) => e.secretChanged).map((e) => e.number),
    };
    if (errors.length) return { ops: [], ...result };

    const ops: WriteOp[] = [];
    // Guards: an extension that exists already may be deleted meanwhile, a site too.
    const guarded = new Set<string>();
    const guard = async (name: string) => {
      if (guarded.has(name)) return;
      guarded.add(name);
      ops.push({ op: 'guard', name, expect: await readGuard(store, name) });
    };
    for (const d of devs.values()) {
      if (!d.changed) continue;
      for (const l of d.after.lines) if (extensions.has(l.extension)) await guard(extensionGuard(l.extension));
      if (d.after.site && d.after.site !== d.before?.site && d.after.site !== DEFAULT_SITE) await guard(siteGuard(d.after.site));
    }
    for (const e of exts.values()) {
      const site = siteOf(e.after);
      if (e.after !== e.before && site !== DEFAULT_SITE && site !== (e.before && siteOf(e.before))) await guard(siteGuard(site));
    }
    for (const e of exts.values()) {
      if (!e.before) ops.push({ op: 'insert-extension', record: e.after });
      else if (e.after !== e.before) ops.push({ op: 'update-extension', record: { ...e.after, updatedAt: at, rev: e.before.rev + 1 }, expectRev: e.before.rev });
    }
    for (const d of devs.values()) {
      if (!d.before) ops.push({ op: 'insert-device', record: d.after });
      else if (d.changed) {
        ops.push({ op: 'update-device', record: d.after, expectRev: d.before.rev });
        // A phone that showed up by itself and now gets its lines is provisioned zero-touch: its claim window opens.
        if (d.before.lines.length === 0 && d.after.lines.length > 0 && claimMinutes > 0) {
          ops.push({ op: 'open-claim', mac: d.mac, until: new Date(now.getTime() + claimMinutes * 60_000).toISOString() });
        }
      }
    }
    // The rotation waits for each device that held the old secret; one the file changes is named at its revision already.
    const named = new Set([...devs.values()].filter((d) => d.changed && d.before).map((d) => d.mac as string));
    for (const e of exts.values()) {
      for (const d of e.waitFor) {
        if (named.has(d.mac)) continue;
        named.add(d.mac);
        ops.push({ op: 'update-device', record: { ...d, rev: d.rev + 1 }, expectRev: d.rev });
      }
    }
    ops.push(
      auditOp(actor, at, 'import.applied', 'import', {
        rows: total,
        extensions: result.extensions,
        devices: result.devices,
        // Which secrets changed, never what they are: every secret change is audited.
        secretsChanged: result.secretsChanged,
      }),
    );
    return { ops, ...result };
  }

  const answer = (p: Omit<Plan, 'ops'>, dryRun: boolean, applied: boolean): ImportResult => ({
    dryRun,
    applied,
    extensions: p.extensions,
    devices: p.devices,
    errors: p.errors.slice(0, MAX_ERRORS),
    moreErrors: Math.max(0, p.errors.length - MAX_ERRORS),
  });

  return {
    async run(actor: Actor, text: string, { dryRun = false }: { dryRun?: boolean } = {}): Promise<ImportResult> {
      const table = readCsv(text);
      const { rows, errors } = readRows(table);
      if (dryRun) return answer(await plan(actor, rows, errors, table.rows.length), true, false);
      try {
        const done = await runChange(async () => {
          const p = await plan(actor, rows, errors, table.rows.length);
          if (p.errors.length) throw new Refused(p);
          return { ops: p.ops, result: p };
        });
        return answer(done, false, true);
      } catch (err) {
        if (err instanceof Refused) return answer(err.plan, false, false);
        // A file that passed every rule but cannot be rendered for a vendor: refused whole, told like a row's problem.
        if (err instanceof AppError && (err.code === 'unsupported-value' || err.code === 'render-failed')) {
          const row = rows.find((r) => err.message.includes(r.device?.mac ?? '\0') || err.message.includes(`extension ${r.extension}:`))?.row ?? 1;
          const zero = { created: 0, updated: 0, unchanged: 0 };
          return answer({ extensions: zero, devices: zero, errors: [{ row, column: null, code: err.code, message: err.message }], secretsChanged: [] }, false, false);
        }
        throw err;
      }
    },
  };
}

export type Import = ReturnType<typeof createImport>;
