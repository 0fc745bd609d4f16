// Which devices a committed batch concerns for a NOTIFY: those whose
// credential-bearing file (the vendor profile says which) got new bytes.
// Read from the batch alone, after the commit: nothing here runs inside it.
import type { DeviceRecord } from '../domain/device.ts';
import { tryParseMac } from '../domain/mac.ts';
import { expandName } from '../render/file-names.ts';
import type { Profiles } from '../render/profiles.ts';
import type { WriteOp } from '../storage/store.ts';

export interface Changed {
  mac: string;
  /** The configVersion the new bytes carry: one NOTIFY per device per change. */
  version: number;
  /** The device as the batch wrote it, when the batch holds it. */
  device: DeviceRecord | null;
}

export function changedDevices(ops: readonly WriteOp[], profiles: Profiles): Changed[] {
  const devices = new Map<string, DeviceRecord | null>();
  for (const op of ops) {
    if (op.op === 'insert-device' || op.op === 'update-device') devices.set(op.record.mac, op.record);
    else if (op.op === 'delete-device') devices.set(op.mac, null);
  }
  const notifiable = profiles.all().filter((p) => p.kind === 'desk-phone' && p.checkSync);
  const out = new Map<string, Changed>();
  for (const op of ops) {
    if (op.op !== 'put-render') continue;
    const mac = tryParseMac(op.render.owner);
    if (!mac || mac !== op.render.owner) continue;
    const device = devices.get(mac);
    if (device === null) continue;
    const vendors = device ? notifiable.filter((p) => p.id === device.vendor) : notifiable;
    const credentialFile = vendors.some((p) =>
      p.files.some((f) => f.credentials && f.scope === 'device' && expandName(f, { mac }) === op.render.file),
    );
    if (credentialFile) out.set(mac, { mac, version: op.render.version, device: device ?? null });
  }
  return [...out.values()];
}
