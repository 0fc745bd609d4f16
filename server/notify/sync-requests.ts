// An admin's explicit "sync now": queue a check-sync NOTIFY for one device or
// for every device on an extension, on the record in the audit log (the
// outcomes themselves are kept on the devices, not audited).
import { randomUUID } from 'node:crypto';
import type { DeviceRecord } from '../domain/device.ts';
import { Conflict, NotFound } from '../domain/errors.ts';
import type { Mac } from '../domain/mac.ts';
import type { Actor } from '../domain/token.ts';
import type { Store } from '../storage/store.ts';
import { auditOp } from '../provisioning/audit/audit-op.ts';
import type { RunChange } from '../provisioning/change/change-runner.ts';
import type { Notifier } from './notifier.ts';

export interface SyncDeps {
  store: Store;
  clock: () => Date;
  runChange: RunChange;
  /** null when PROV_NOTIFY is off. */
  notifier: Notifier | null;
}

export function createSyncRequests({ store, clock, runChange, notifier }: SyncDeps) {
  function need(): Notifier {
    if (!notifier) throw new Conflict('notify-off', 'check-sync NOTIFY is off on this server (PROV_NOTIFY=off)');
    return notifier;
  }

  async function audited(actor: Actor, action: string, target: string, devices: DeviceRecord[]) {
    await runChange(async () => ({
      ops: [auditOp(actor, clock().toISOString(), action, target, { devices: devices.map((x) => x.mac) })],
      result: undefined,
    }));
  }

  return {
    async device(actor: Actor, mac: Mac) {
      const n = need();
      const device = await store.getDevice(mac);
      if (!device) throw new NotFound(`device ${mac} does not exist`, 'device-not-found');
      const refusal = await n.refusal(device);
      if (refusal) throw new Conflict('not-notifiable', refusal);
      await audited(actor, 'device.sync-requested', `device:${mac}`, [device]);
      return { devices: await n.request([device], `sync:${randomUUID()}`) };
    },

    /** Every device with a line on the extension that can be reached; the others are left out of the answer. */
    async extension(actor: Actor, number: string) {
      const n = need();
      if (!(await store.getExtension(number))) throw new NotFound(`extension ${number} does not exist`, 'extension-not-found');
      const devices: DeviceRecord[] = [];
      for (const device of await store.listDevices({ extension: number })) {
        if (!(await n.refusal(device))) devices.push(device);
      }
      await audited(actor, 'extension.sync-requested', `extension:${number}`, devices);
      return { devices: await n.request(devices, `sync:${randomUUID()}`) };
    },
  };
}

export type SyncRequests = ReturnType<typeof createSyncRequests>;
