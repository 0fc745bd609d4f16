// The rules a device write is checked against, before anything is stored:
// a known vendor and model, lines that fit the phone and point at existing
// extensions (each read with its guard, so a deletion meanwhile refuses the
// batch), and a MAC that is a phone's.
import type { DeviceLine } from '../../domain/device.ts';
import { InvalidInput } from '../../domain/errors.ts';
import { extensionGuard } from '../../domain/extension.ts';
import type { Mac } from '../../domain/mac.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { expandName } from '../../render/file-names.ts';
import { findModel, linesFor } from '../../render/profiles.ts';
import { readGuard, type Store, type WriteOp } from '../../storage/store.ts';

export interface LineInput {
  line?: number;
  extension: string;
}

export function createDeviceRules({ store, catalog }: { store: Pick<Store, 'getExtension' | 'getMeta'>; catalog: CatalogHolder }) {
  /**
   * A MAC no phone has: the broadcast address, or one whose device files
   * would be named like a file every phone of a vendor shares (Polycom's
   * 000000000000.cfg is the master file of phones that have none).
   */
  function refuseReserved(mac: Mac): void {
    const catalog_ = catalog.current();
    const clash = catalog_.profiles.all().some((p) =>
      p.files.some((spec) => spec.scope === 'device' && catalog_.matchFile(expandName(spec, { mac })).some((m) => !m.mac)),
    );
    if (mac === 'ffffffffffff' || clash) {
      throw new InvalidInput(`${mac} is not a phone's MAC: its files would be named like a file every phone shares`, 'reserved-mac');
    }
  }

  /** The vendor's canonical model name and how many lines the device may have. */
  function checkVendor(vendor: string, model: string | null): { model: string | null; maxLines: number } {
    const profiles = catalog.current().profiles;
    const profile = profiles.get(vendor);
    if (!profile || profile.kind !== 'desk-phone') {
      throw new InvalidInput(`vendor must be one of: ${profiles.deskPhoneVendors().join(', ')}`, 'unknown-vendor');
    }
    if (model === null) return { model: null, maxLines: linesFor(profile, null) };
    const known = findModel(profile, model);
    if (!known) {
      throw new InvalidInput(
        `model is not in the ${vendor} profile; known models: ${Object.keys(profile.models).join(', ')}`,
        'unknown-model',
      );
    }
    return { model: known, maxLines: linesFor(profile, known) };
  }

  /**
   * Numbers lines that came without one with the lowest free numbers, then
   * checks them. The guards are what each line's extension was read at: a
   * deletion of one of them committed meanwhile refuses this batch.
   */
  async function resolveLines(input: LineInput[], maxLines: number): Promise<{ lines: DeviceLine[]; guards: WriteOp[] }> {
    const taken = new Set<number>();
    for (const l of input) {
      if (l.line === undefined) continue;
      if (taken.has(l.line)) throw new InvalidInput(`line ${l.line} is given twice`, 'duplicate-line');
      taken.add(l.line);
    }
    let free = 1;
    const lines = input.map((l) => {
      if (l.line !== undefined) return { line: l.line, extension: l.extension };
      while (taken.has(free)) free++;
      taken.add(free);
      return { line: free, extension: l.extension };
    });
    const seen = new Set<string>();
    for (const l of lines) {
      if (l.line > maxLines) {
        throw new InvalidInput(`line ${l.line} is beyond the ${maxLines} lines this phone has`, 'invalid-line');
      }
      if (seen.has(l.extension)) {
        throw new InvalidInput(`extension ${l.extension} is on more than one line`, 'duplicate-line');
      }
      seen.add(l.extension);
    }
    const guards: WriteOp[] = [];
    for (const l of lines) {
      guards.push({ op: 'guard', name: extensionGuard(l.extension), expect: await readGuard(store, extensionGuard(l.extension)) });
      if (!(await store.getExtension(l.extension))) {
        throw new InvalidInput(`extension ${l.extension} does not exist`, 'unknown-extension');
      }
    }
    return { lines: lines.sort((a, b) => a.line - b.line), guards };
  }

  return { refuseReserved, checkVendor, resolveLines };
}
