// What an admin sees of a device's rendered files: the list with versions and
// digests for anyone, the body (which holds secrets) audited for admins.
import { createHash } from 'node:crypto';
import { NotFound } from '../domain/errors.ts';
import type { Mac } from '../domain/mac.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { Actor } from '../domain/token.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { Store } from '../storage/store.ts';
import { auditOp } from './audit-log.ts';
import type { RunChange } from './change-runner.ts';
import { renderContext } from './rerender.ts';

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

  return {
    async list(mac: Mac) {
      await device(mac);
      return (await store.listRenders(mac)).map((r) => ({
        file: r.file,
        version: r.version,
        sha256: createHash('sha256').update(box.open(r.sealedBody, renderContext(mac, r.file)), 'utf8').digest('hex'),
        renderedAt: r.renderedAt,
      }));
    },

    async preview(actor: Actor, mac: Mac, file: string) {
      const d = await device(mac);
      const render = await store.getRender(mac, file);
      if (!render) throw new NotFound(`device ${mac} has no file ${file}`, 'file-not-found');
      const body = box.open(render.sealedBody, renderContext(mac, file));
      await runChange(async () => ({
        ops: [auditOp(actor, clock().toISOString(), 'config.previewed', `device:${mac}`, { file, version: render.version })],
        result: undefined,
      }));
      const contentType = catalog.current().profiles.get(d.vendor)?.contentType ?? 'text/plain; charset=utf-8';
      return { body, contentType };
    },
  };
}

export type DeviceFiles = ReturnType<typeof createDeviceFiles>;
