// The devices an import writes. The rows naming a MAC describe the whole
// device: its lines are exactly those rows (a phone on several lines has a
// row per line, each with its line number), so an export read back changes
// nothing. A new device gets a claim window like one made by the API, so a
// phone fresh from its box fetches the file that carries the CSV's secret.
import { isDeepStrictEqual } from 'node:util';
import type { DeviceLine, DeviceRecord } from '../../domain/device.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import type { Mac } from '../../domain/mac.ts';
import { generateSecret } from '../../domain/secret.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { provPasswordContext } from '../../domain/seal-contexts.ts';
import type { SiteRecord } from '../../domain/site.ts';
import { findModel, linesFor, type Profiles } from '../../render/profiles.ts';
import { textRuleProblem } from '../../render/text-rules.ts';
import type { ImportRow, RowError } from './import-rows.ts';
import { groupBy, mergeRows } from './merge-rows.ts';

export interface DevicePlanDeps {
  box: SecretBox;
  now: Date;
  profiles: Profiles;
  /** PROV_CLAIM_MINUTES: 0 opens no claim window. */
  claimMinutes: number;
  /** A MAC no phone has (the device rules' check), or null. */
  reserved: (mac: Mac) => string | null;
  devices: ReadonlyMap<string, DeviceRecord>;
  sites: ReadonlyMap<string, SiteRecord>;
  /** Each extension as it will be after the import: the import's own, else the stored one. */
  extension: (number: string) => ExtensionRecord | undefined;
}

export interface PlannedDevice {
  mac: Mac;
  row: number;
  before: DeviceRecord | null;
  after: DeviceRecord;
  changed: boolean;
}

type Row = ImportRow & { device: NonNullable<ImportRow['device']> };
const FIELDS = ['vendor', 'model', 'label', 'site'] as const;

export function planDevices(rows: ImportRow[], deps: DevicePlanDeps, errors: RowError[]): Map<Mac, PlannedDevice> {
  const out = new Map<Mac, PlannedDevice>();
  const withDevice = rows.filter((r): r is Row => r.device !== undefined);
  for (const [mac, group] of groupBy(withDevice, (r) => r.device.mac)) {
    const count = errors.length;
    const row = group[0]!.row;
    const reserved = deps.reserved(mac);
    if (reserved) errors.push({ row, column: 'mac', code: 'reserved-mac', message: reserved });
    const merged = mergeRows(group, FIELDS, (r, f) => r.device[f], errors, `device ${mac}`) as Partial<Record<(typeof FIELDS)[number], string>>;
    const lines = linesOf(mac, group, errors);
    const before = deps.devices.get(mac) ?? null;
    const vendor = merged.vendor ?? before?.vendor;
    const profile = vendor ? deps.profiles.get(vendor) : undefined;
    if (!vendor) errors.push({ row, column: 'vendor', code: 'missing-vendor', message: `device ${mac} is new: it needs its vendor` });
    else if (!profile || profile.kind !== 'desk-phone') {
      errors.push({ row: group.find((r) => r.device.vendor)?.row ?? row, column: 'vendor', code: 'unknown-vendor', message: `vendor must be one of: ${deps.profiles.deskPhoneVendors().join(', ')}` });
    }
    if (merged.site && !deps.sites.has(merged.site)) {
      errors.push({ row: group.find((r) => r.device.site)?.row ?? row, column: 'deviceSite', code: 'unknown-site', message: `site ${merged.site} does not exist` });
    }
    if (errors.length > count || !profile || !vendor) continue;
    const model = merged.model ? findModel(profile, merged.model) : before?.vendor === vendor ? before.model : null;
    if (model === undefined) {
      errors.push({ row: group.find((r) => r.device.model)?.row ?? row, column: 'model', code: 'unknown-model', message: `model is not in the ${vendor} profile` });
      continue;
    }
    const max = linesFor(profile, model);
    for (const r of group) {
      const line = r.device.line ?? 1;
      if (line > max) errors.push({ row: r.row, column: 'line', code: 'invalid-line', message: `line ${line} is beyond the ${max} lines this phone has` });
      const ext = deps.extension(r.extension);
      // What the vendor's files cannot carry is refused here, as the API refuses it, not when rendering.
      const problem = ext && textRuleProblem(profile, { number: ext.number, displayName: ext.displayName, label: ext.label ?? ext.displayName, authUsername: ext.authUsername, password: r.secret ?? '' });
      if (problem) errors.push({ row: r.row, column: null, code: 'unsupported-value', message: `extension ${r.extension}: ${problem}` });
    }
    if (errors.length > count) continue;
    const at = deps.now.toISOString();
    const site = merged.site ?? before?.site;
    const label = merged.label ?? before?.label ?? null;
    if (before) {
      const { site: _s, ...rest } = before;
      const after: DeviceRecord = { ...rest, ...(site ? { site } : {}), vendor, model, label, lines, updatedAt: at, rev: before.rev + 1 };
      const changed = (['vendor', 'model', 'label', 'lines', 'site'] as const).some((k) => !isDeepStrictEqual(before[k] ?? null, after[k] ?? null));
      out.set(mac, { mac, row, before, after: changed ? after : before, changed });
    } else {
      const after: DeviceRecord = {
        mac, vendor, model, label, lines,
        ...(site ? { site } : {}),
        configVersion: 0,
        fetchedVersion: null,
        lastFetch: null,
        provPasswordSealed: deps.box.seal(generateSecret(), provPasswordContext(mac)),
        claimUntil: deps.claimMinutes > 0 ? new Date(deps.now.getTime() + deps.claimMinutes * 60_000).toISOString() : null,
        createdAt: at,
        updatedAt: at,
        rev: 1,
      };
      out.set(mac, { mac, row, before: null, after, changed: true });
    }
  }
  return out;
}

/** The device's lines from its rows: a phone on several rows needs each row's line, and no line or extension twice. */
function linesOf(mac: string, group: Row[], errors: RowError[]): DeviceLine[] {
  if (group.length > 1) {
    const without = group.filter((r) => r.device.line === undefined);
    for (const r of without) {
      errors.push({
        row: r.row,
        column: 'line',
        code: 'duplicate-mac',
        message: `MAC ${mac} is on rows ${group.map((g) => g.row).join(', ')}: give each row a line to put the phone on several lines`,
      });
    }
    if (without.length) return [];
  }
  const byLine = new Map<number, Row>();
  const byExtension = new Map<string, Row>();
  for (const r of group) {
    const line = r.device.line ?? 1;
    const other = byLine.get(line) ?? byExtension.get(r.extension);
    if (other) {
      errors.push({ row: r.row, column: 'line', code: 'duplicate-line', message: `device ${mac} has line ${line} or extension ${r.extension} on row ${other.row} already` });
      continue;
    }
    byLine.set(line, r);
    byExtension.set(r.extension, r);
  }
  return [...byLine].map(([line, r]) => ({ line, extension: r.extension })).sort((a, b) => a.line - b.line);
}
