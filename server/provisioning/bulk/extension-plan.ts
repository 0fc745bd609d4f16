// The extensions an import writes: each one the rows name is created, or
// changed where its cells differ from what is stored, through the same record
// builders as one API call (extensions/extension-records.ts) and the same
// secret change (a rotation, unless the grace is 0). Nothing is written here.
import type { DeviceRecord } from '../../domain/device.ts';
import { InvalidInput } from '../../domain/errors.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import { generateSecret } from '../../domain/secret.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { secretContext } from '../../domain/seal-contexts.ts';
import { DEFAULT_SITE, siteOf, type SiteRecord } from '../../domain/site.ts';
import { changedFields, newExtension, patchedExtension, type UpdateExtension } from '../extensions/extension-records.ts';
import { withNewSecret } from '../extensions/secret-change.ts';
import type { ImportRow, RowError } from './import-rows.ts';
import { groupBy, mergeRows } from './merge-rows.ts';

const FIELDS = ['name', 'authUsername', 'secret', 'server', 'transport', 'site', 'extensionLabel', 'outboundProxy', 'srtp'] as const;
type Merged = Partial<Pick<ImportRow, (typeof FIELDS)[number]>>;

export interface ExtensionPlanDeps {
  box: SecretBox;
  now: Date;
  graceMinutes: number;
  extensions: ReadonlyMap<string, ExtensionRecord>;
  devices: ReadonlyMap<string, DeviceRecord>;
  sites: ReadonlyMap<string, SiteRecord>;
}

export interface PlannedExtension {
  number: string;
  /** The first row naming it, where its problems are told. */
  row: number;
  before: ExtensionRecord | null;
  /** What it will be: `before` when unchanged. */
  after: ExtensionRecord;
  secretChanged: boolean;
  /** Devices that had fetched the old secret, named at their revision in the batch. */
  waitFor: DeviceRecord[];
}

export function planExtensions(rows: ImportRow[], deps: ExtensionPlanDeps, errors: RowError[]): Map<string, PlannedExtension> {
  const at = deps.now.toISOString();
  const out = new Map<string, PlannedExtension>();
  for (const [number, group] of groupBy(rows, (r) => r.extension)) {
    const count = errors.length;
    const merged = mergeRows(group, FIELDS, (r, f) => r[f], errors, `extension ${number}`) as Merged;
    if (errors.length > count) continue;
    const row = group[0]!.row;
    const before = deps.extensions.get(number) ?? null;
    const siteName = merged.site ?? (before ? siteOf(before) : DEFAULT_SITE);
    const site = deps.sites.get(siteName);
    if (!site) {
      errors.push({ row: group.find((r) => r.site)?.row ?? row, column: 'site', code: 'unknown-site', message: `site ${siteName} does not exist` });
      continue;
    }
    try {
      out.set(number, before ? changed(before, merged, site, row, deps, at) : created(number, merged, site, row, deps, at));
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      errors.push({ row, column: err.message.startsWith('server') ? 'server' : null, code: err.code, message: err.message });
    }
  }
  return out;
}

const server = (m: Merged) => m.server && { host: m.server.host, port: m.server.port, transport: m.transport };

function created(number: string, m: Merged, site: SiteRecord, row: number, deps: ExtensionPlanDeps, at: string): PlannedExtension {
  if (!m.server && m.transport) throw new InvalidInput('server: a transport needs the server it is for', 'invalid-input');
  const secret = m.secret ?? generateSecret();
  const input = {
    number,
    displayName: m.name,
    authUsername: m.authUsername,
    server: server(m),
    outboundProxy: m.outboundProxy,
    label: m.extensionLabel,
    media: m.srtp ? { srtp: m.srtp } : undefined,
  };
  const after = newExtension(input, site, deps.box.seal(secret, secretContext(number)), at);
  return { number, row, before: null, after, secretChanged: false, waitFor: [] };
}

function changed(before: ExtensionRecord, m: Merged, site: SiteRecord, row: number, deps: ExtensionPlanDeps, at: string): PlannedExtension {
  const patch: UpdateExtension = {
    displayName: m.name,
    authUsername: m.authUsername,
    server: server(m) ?? (m.transport ? { transport: m.transport } : undefined),
    site: m.site,
    outboundProxy: m.outboundProxy,
    label: m.extensionLabel,
    media: m.srtp ? { srtp: m.srtp } : undefined,
  };
  let after = patchedExtension(before, patch, site, at);
  const fields = changedFields(before, after);
  const secretChanged = m.secret !== undefined && m.secret !== deps.box.open(before.secretSealed, secretContext(before.number));
  let waitFor: DeviceRecord[] = [];
  if (secretChanged) {
    const fetched = [...deps.devices.values()].filter((d) => d.fetchedVersion !== null && d.lines.some((l) => l.extension === before.number));
    const next = withNewSecret(after, m.secret!, fetched, { box: deps.box, now: deps.now, graceMinutes: deps.graceMinutes });
    after = next.record;
    waitFor = next.waitFor;
  }
  if (fields.length === 0 && !secretChanged) return { number: before.number, row, before, after: before, secretChanged, waitFor };
  return { number: before.number, row, before, after, secretChanged, waitFor };
}
