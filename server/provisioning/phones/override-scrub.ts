// When a secret changes, credential parameters are taken out of the
// overrides phones uploaded (a password typed on a Polycom handset beats the
// server's), so the new secret reaches the phone. An override that cannot be
// read as XML is dropped whole rather than left to win.
import { create } from 'xmlbuilder2';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { expandName } from '../../render/file-names.ts';
import type { Store, WriteOp } from '../../storage/store.ts';
import type { ConfigRenderer } from '../change/change-runner.ts';
import { uploadContext } from '../../domain/seal-contexts.ts';

/** The XML without attributes whose names match, and how many went; null when it is not XML. */
export function stripAttributes(xml: string, keys: RegExp[]): { xml: string; removed: number } | null {
  try {
    let removed = 0;
    const doc = create(xml);
    doc.root().each(
      (node) => {
        const el = node.node as unknown as { attributes?: ArrayLike<{ name: string }> };
        for (const attr of Array.from(el.attributes ?? [])) {
          if (!keys.some((k) => k.test(attr.name))) continue;
          node.removeAtt(attr.name);
          removed++;
        }
      },
      true,
      true,
    );
    return { xml: doc.end({ prettyPrint: false }), removed };
  } catch {
    return null;
  }
}

export function createOverrideScrubber(store: Store, box: SecretBox, catalog: CatalogHolder): ConfigRenderer {
  return {
    async rerender(ops) {
      const numbers: string[] = [];
      for (const op of ops) {
        if (op.op !== 'update-extension') continue;
        const before = await store.getExtension(op.record.number);
        if (before && before.secretVersion !== op.record.secretVersion) numbers.push(op.record.number);
      }
      const out: WriteOp[] = [];
      const seen = new Set<string>();
      for (const number of numbers) {
        for (const device of await store.listDevices({ extension: number })) {
          if (seen.has(device.mac)) continue;
          seen.add(device.mac);
          const profile = catalog.current().profiles.get(device.vendor);
          if (!profile) continue;
          const keys = profile.overrideCredentialKeys.map((k) => new RegExp(k));
          const names = new Set(profile.uploads.filter((u) => u.override).map((u) => expandName(u, { mac: device.mac })));
          for (const upload of await store.listUploads(device.mac)) {
            if (!names.has(upload.file)) continue;
            const context = uploadContext(device.mac, upload.file);
            const text = Buffer.from(box.open(upload.sealedBody, context), 'base64').toString('utf8');
            const stripped = stripAttributes(text, keys);
            if (stripped === null) {
              out.push({ op: 'delete-upload', mac: device.mac, file: upload.file });
            } else if (stripped.removed > 0) {
              const sealedBody = box.seal(Buffer.from(stripped.xml, 'utf8').toString('base64'), context);
              out.push({ op: 'put-upload', upload: { ...upload, sealedBody } });
            }
          }
        }
      }
      return out;
    },
  };
}
