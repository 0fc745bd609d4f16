// Which webhook events a bus event stands for. secret.changed and link.used
// come from the audit events committed with the change (so they exist only
// for changes that happened), device.detected from a device the phone route
// recorded, device.synced from a fetch that reached the current config, and
// device.notify-failed from the notifier's outcome, registration.changed from
// a registrar's report that moved a device line. No payload carries a secret.
import type { WebhookEvent } from '../domain/webhook.ts';
import type { ProvEvent } from '../provisioning/change/events.ts';
import type { Store } from '../storage/store.ts';

export interface Occurrence {
  event: WebhookEvent;
  at: string;
  data: Record<string, unknown>;
}

const key = (target: string) => target.slice(target.indexOf(':') + 1);

export async function occurrences(event: ProvEvent, store: Store): Promise<Occurrence[]> {
  switch (event.type) {
    case 'committed': {
      const out: Occurrence[] = [];
      for (const op of event.ops) {
        if (op.op === 'audit' && op.event.action === 'secret.changed') {
          out.push({ event: 'secret.changed', at: op.event.at, data: { number: key(op.event.target), version: op.event.details.version } });
        } else if (op.op === 'audit' && op.event.action === 'link.used') {
          const d = op.event.details;
          out.push({
            event: 'link.used',
            at: op.event.at,
            data: { link: key(op.event.target), extension: d.extension, app: d.app, secretVersion: d.secretVersion },
          });
        } else if (op.op === 'insert-device' && op.record.lines.length === 0 && op.record.lastSeen) {
          // Only the phone route inserts a device that has already fetched: a phone seen for the first time.
          const d = op.record;
          out.push({
            event: 'device.detected',
            at: d.createdAt,
            data: { mac: d.mac, vendor: d.vendor, model: d.model, firmware: d.firmware ?? null, ip: d.lastSeen!.ip },
          });
        }
      }
      return out;
    }
    case 'fetched': {
      if (event.version === null || event.previousVersion === event.version) return [];
      const device = await store.getDevice(event.mac);
      if (!device || event.version < device.configVersion) return [];
      return [{ event: 'device.synced', at: event.at, data: { mac: event.mac, configVersion: event.version } }];
    }
    case 'notify-outcome': {
      if (event.notify.state !== 'failed') return [];
      const { via, target, code, attempts, at } = event.notify;
      return [{ event: 'device.notify-failed', at, data: { mac: event.mac, via, target, code, attempts } }];
    }
    case 'registration': {
      const { mac, extension, registration, at } = event;
      return [{ event: 'registration.changed', at, data: { mac, extension, ...registration } }];
    }
  }
}
