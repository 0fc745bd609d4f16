// What an admin sees of a device's rendered files: the list with versions and
// digests for anyone, the body (which holds secrets) audited for admins.
import { createHash } from 'node:crypto';
import { NotFound } from '../../domain/errors.ts';
import type { Mac } from '../../domain/mac.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import type { Actor } from '../../domain/token.ts';
import { type DeviceRecord } from '../../domain/device.ts';
import { provPasswordContext, secretContext, renderContext } from '../../domain/seal-contexts.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { expandName } from '../../render/file-names.ts';
import { vendorOwner } from '../../render/renderer.ts';
import type { RenderRecord, Store } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';

export const MASK = '••••••••';

/**
 * The ways an encoder may have written a secret into a file: as is,
 * XML-escaped, URL-encoded, and with each `$` doubled where a phone expands
 * macros (Cisco's flat profile).
 */
function spellings(secret: string): string[] {
  const xml = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const full = xml.replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  return [...new Set([secret, xml, full, full.replace(/\$/g, '$$$$'), encodeURIComponent(secret)])]
    // Longest first, so a spelling that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
}

export interface DeviceFilesDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  clock: () => Date;
  runChange: RunChange;
}

export function createDeviceFiles({ store, box, catalog, clock, runChange }: DeviceFilesDeps) {
  async function device(mac: Mac) {
    const d = await store.getDevice(mac);
    if (!d) throw new NotFound(`device ${mac} does not exist`, 'device-not-found');
    return d;
  }

  /**
   * The stored renders a device fetches: its own files, then the shared ones
   * of its vendor (its model's file where the vendor has one per model).
   */
  async function fetched(device: DeviceRecord): Promise<{ owner: string; render: RenderRecord }[]> {
    const own = (await store.listRenders(device.mac)).map((render) => ({ owner: device.mac, render }));
    const profile = catalog.current().profiles.get(device.vendor);
    if (!profile || own.length === 0) return own;
    const owner = vendorOwner(profile.id);
    const code = device.model ? profile.models[device.model]?.code : undefined;
    const names = new Set(
      profile.files
        .filter((f) => (f.scope === 'vendor' && !f.fallback) || (f.scope === 'model' && code !== undefined))
        .map((f) => expandName(f, { code })),
    );
    const shared = (await store.listRenders(owner)).filter((r) => names.has(r.file));
    return [...own, ...shared.map((render) => ({ owner, render }))];
  }

  return {
    async list(mac: Mac) {
      return (await fetched(await device(mac))).map(({ owner, render: r }) => ({
        file: r.file,
        version: r.version,
        sha256: createHash('sha256').update(box.open(r.sealedBody, renderContext(owner, r.file)), 'utf8').digest('hex'),
        renderedAt: r.renderedAt,
      }));
    },

    /** The body; masked, every secret the device's files carry is replaced and nothing is audited. */
    async preview(actor: Actor, mac: Mac, file: string, { masked = false }: { masked?: boolean } = {}) {
      const d = await device(mac);
      const found = (await fetched(d)).find((f) => f.render.file === file);
      if (!found) throw new NotFound(`device ${mac} has no file ${file}`, 'file-not-found');
      const { owner, render } = found;
      let body = box.open(render.sealedBody, renderContext(owner, file));
      const contentType = catalog.current().profiles.get(d.vendor)?.contentType ?? 'text/plain';
      if (masked) {
        const secrets = [box.open(d.provPasswordSealed, provPasswordContext(mac))];
        for (const l of d.lines) {
          const ext = await store.getExtension(l.extension);
          if (ext) secrets.push(box.open(ext.secretSealed, secretContext(ext.number)));
        }
        for (const secret of secrets) for (const form of spellings(secret)) body = body.split(form).join(MASK);
        return { body, contentType: `${contentType}; charset=utf-8` };
      }
      await runChange(async () => ({
        ops: [auditOp(actor, clock().toISOString(), 'config.previewed', `device:${mac}`, { file, version: render.version })],
        result: undefined,
      }));
      return { body, contentType: `${contentType}; charset=utf-8` };
    },
  };
}

export type DeviceFiles = ReturnType<typeof createDeviceFiles>;
