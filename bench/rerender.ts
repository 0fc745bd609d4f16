// Measures (a) and (b): the full re-render through POST /api/templates/reload
// (?full=true with nothing changed; the default with nothing changed, which
// renders nothing; once with every template changed), and the
// secret change on the extension that many devices share.
import fs from 'node:fs';
import path from 'node:path';
import { percentile, type Admin } from './admin.ts';
import type { DevicePlan } from './seed.ts';

const UNCHANGED_RUNS = 3;

export interface ReloadFigures {
  filesPerDevice: Record<string, number>;
  deviceFiles: number;
  vendorFiles: number;
  /** Files every reload renders: all device files plus the vendor- and model-wide ones. */
  filesRendered: number;
  /** `?full=true` with nothing changed: every file rendered and compared. */
  unchangedMs: number[];
  unchangedRendersPerSecond: number;
  /** The default reload with nothing changed: no owner's inputs differ, so none is rendered. */
  scopedUnchangedMs: number;
  changedMs: number;
  changedFiles: number;
  changedDevices: number;
  changedRendersPerSecond: number;
}

/** One comment line after each template's first line (which must stay first: #!version, <?xml). */
export function touchTemplates(dir: string): number {
  let touched = 0;
  for (const vendor of fs.readdirSync(dir)) {
    for (const name of fs.readdirSync(path.join(dir, vendor)).filter((n) => n.endsWith('.hbs'))) {
      const file = path.join(dir, vendor, name);
      const [first, ...rest] = fs.readFileSync(file, 'utf8').split('\n');
      const comment = first!.startsWith('<?xml') ? '<!-- bench: touched -->' : '## bench: touched';
      fs.writeFileSync(file, [first, comment, ...rest].join('\n'));
      touched++;
    }
  }
  return touched;
}

export async function measureReload(admin: Admin, devices: DevicePlan[], templatesDir: string): Promise<ReloadFigures> {
  // Files per device, from the API, for one device of each vendor. The list
  // also names the vendor's shared files the device fetches; only those with
  // the MAC in their name are the device's own.
  const filesPerDevice: Record<string, number> = {};
  for (const d of devices) {
    if (filesPerDevice[d.vendor] !== undefined) continue;
    const files = (await admin.must<{ file: string }[]>(200, 'GET', `/api/devices/${d.mac}/files`)).body;
    filesPerDevice[d.vendor] = files.filter((f) => f.file.toLowerCase().includes(d.mac)).length;
  }
  const deviceFiles = devices.reduce((n, d) => n + filesPerDevice[d.vendor]!, 0);

  const unchangedMs: number[] = [];
  for (let i = 0; i < UNCHANGED_RUNS; i++) {
    const r = await admin.must(200, 'POST', '/api/templates/reload?full=true');
    if (r.body.changedFiles !== 0) throw new Error(`an unchanged reload stored ${r.body.changedFiles} files`);
    if (r.body.renderedDevices !== devices.length) throw new Error(`a full reload rendered ${r.body.renderedDevices} devices`);
    unchangedMs.push(r.ms);
  }
  const scoped = await admin.must(200, 'POST', '/api/templates/reload');
  if (scoped.body.renderedDevices !== 0) throw new Error(`a reload with nothing changed rendered ${scoped.body.renderedDevices} devices`);

  touchTemplates(templatesDir);
  const changed = await admin.must(200, 'POST', '/api/templates/reload');
  if (changed.body.renderedDevices !== devices.length) throw new Error(`a reload of every template rendered ${changed.body.renderedDevices} devices`);
  // Every template changed, so every file is rewritten: the API's count is the total.
  const filesRendered: number = changed.body.changedFiles;
  if (filesRendered < deviceFiles) throw new Error(`reload stored ${filesRendered} files, fewer than the ${deviceFiles} device files`);
  const median = percentile([...unchangedMs].sort((a, b) => a - b), 50);
  return {
    filesPerDevice,
    deviceFiles,
    vendorFiles: filesRendered - deviceFiles,
    filesRendered,
    unchangedMs,
    unchangedRendersPerSecond: filesRendered / (median / 1000),
    scopedUnchangedMs: scoped.ms,
    changedMs: changed.ms,
    changedFiles: changed.body.changedFiles,
    changedDevices: changed.body.changedDevices,
    changedRendersPerSecond: filesRendered / (changed.ms / 1000),
  };
}

export interface SecretFigures {
  runs: number;
  devicesAffected: number;
  medianMs: number;
  maxMs: number;
}

export async function measureSecretChange(admin: Admin, number: string, runs: number, expectDevices: number) {
  const ms: number[] = [];
  let devicesAffected = 0;
  for (let i = 0; i < runs; i++) {
    const r = await admin.must(200, 'POST', `/api/extensions/${number}/secret/generate`);
    devicesAffected = r.body.devices.length;
    if (devicesAffected !== expectDevices) throw new Error(`secret change touched ${devicesAffected} devices, not ${expectDevices}`);
    ms.push(r.ms);
  }
  ms.sort((a, b) => a - b);
  return { runs, devicesAffected, medianMs: percentile(ms, 50), maxMs: ms[ms.length - 1]! } satisfies SecretFigures;
}
