// Room: provisioning/registrations/ owns what the registrar reports of each
// REGISTER, and each device line's registration state made from it. It may
// call domain/, storage/ and provisioning/change/ (the event bus).
//
// Registration reports: the registrar tells us the outcome of every REGISTER
// it answered, and which secret version's HA1 matched. Kept one record per
// (extension, contact), the newest first, at most MAX_CONTACTS per extension,
// written like fetch records (state reported by the network, not an admin
// change: no audit, no fsync of its own). Each report that moves a device
// line's state is published, for the console and the registration.changed
// webhook. The device views and the rotation read these through `read()`.
import type { Logger } from 'pino';
import type { DeviceRecord } from '../../domain/device.ts';
import { AppError, NotFound } from '../../domain/errors.ts';
import { acceptedRealms, type ExtensionRecord } from '../../domain/extension.ts';
import {
  lineRegistration,
  registrationsOfDevice,
  type LineRegistration,
  type RegistrationRecord,
} from '../../domain/registration.ts';
import type { EventBus } from '../change/events.ts';
import type { Store } from '../../storage/store.ts';

export const MAX_CONTACTS = 32;
/** Reports a token may make per second, with a burst of twice that: a registrar's, not a flood's. */
export const REPORTS_PER_SECOND = 200;

export interface Report {
  authUsername: string;
  realm: string;
  result: 'ok' | 'failed';
  secretVersion?: number | undefined;
  contact: string;
  expires: number;
  userAgent?: string | undefined;
  sourceIp?: string | undefined;
  callId?: string | undefined;
}

export interface RegistrationsDeps {
  store: Pick<Store, 'findExtensionsByAuthUsername' | 'getExtension' | 'listDevices' | 'recordRegistration' | 'listRegistrations'>;
  clock: () => Date;
  log: Logger;
  events: EventBus;
}

/** Each device line's registration on one extension: by MAC. */
export function lineStates(ext: ExtensionRecord, devices: DeviceRecord[], regs: RegistrationRecord[], now: Date): Map<string, LineRegistration> {
  const rotating = Boolean(ext.rotation);
  const sharing = devices.filter((d) => d.lines.some((l) => l.extension === ext.number));
  return new Map(sharing.map((d) => [d.mac, lineRegistration(registrationsOfDevice(d, sharing, regs), ext.secretVersion, rotating, now)]));
}

export type Registrations = ReturnType<typeof createRegistrations>;

export function createRegistrations({ store, clock, log, events }: RegistrationsDeps) {
  const buckets = new Map<string, { tokens: number; at: number }>();

  /** A token bucket per pbx token: past it, 429. */
  function admit(token: string): void {
    const now = clock().getTime();
    const b = buckets.get(token) ?? { tokens: REPORTS_PER_SECOND * 2, at: now };
    b.tokens = Math.min(REPORTS_PER_SECOND * 2, b.tokens + ((now - b.at) / 1000) * REPORTS_PER_SECOND);
    b.at = now;
    buckets.set(token, b);
    if (b.tokens < 1) throw new AppError(429, 'too-many-reports', 'too many registration reports; slow down');
    b.tokens -= 1;
  }

  /** The extension a report is about: in the token's realms, registering in that realm; otherwise nothing, like the feed. */
  async function extensionOf(r: Report, tokenRealms: readonly string[]): Promise<ExtensionRecord | null> {
    const realm = r.realm.toLowerCase();
    if (!tokenRealms.includes(realm)) return null;
    const found = (await store.findExtensionsByAuthUsername(r.authUsername)).filter((e) => acceptedRealms(e).includes(realm));
    return found.length === 1 ? found[0]! : null;
  }

  return {
    async report(r: Report, client: { token: string; realms: readonly string[] }): Promise<void> {
      admit(client.token);
      const ext = await extensionOf(r, client.realms);
      if (!ext) throw new NotFound('no such auth user in this realm');
      const now = clock();
      const at = now.toISOString();
      const live = r.result === 'ok' && r.expires > 0;
      const record: RegistrationRecord = {
        extension: ext.number,
        contact: r.contact,
        authUsername: r.authUsername,
        realm: r.realm,
        result: r.result,
        secretVersion: r.secretVersion ?? null,
        userAgent: r.userAgent ?? null,
        sourceIp: r.sourceIp ?? null,
        callId: r.callId ?? null,
        at,
        expiresAt: live ? new Date(now.getTime() + r.expires * 1000).toISOString() : at,
      };
      const devices = await store.listDevices({ extension: ext.number });
      const before = lineStates(ext, devices, await store.listRegistrations({ extension: ext.number }), now);
      await store.recordRegistration(record, MAX_CONTACTS);
      const after = lineStates(ext, devices, await store.listRegistrations({ extension: ext.number }), now);
      for (const [mac, state] of after) {
        const was = before.get(mac);
        if (was?.state === state.state && was.secretVersion === state.secretVersion) continue;
        events.publish({ type: 'registration', mac, extension: ext.number, registration: state, at });
      }
      log.debug({ extension: ext.number, result: r.result, secretVersion: record.secretVersion, expires: r.expires }, 'registration reported');
    },

    /** What a view needs: the extension's records, newest first. */
    read: (extension: string) => store.listRegistrations({ extension }),

    /** Each device's line registrations, by MAC and then extension: one read per extension the devices use. */
    async lines(devices: readonly DeviceRecord[]): Promise<Map<string, Map<string, LineRegistration>>> {
      const now = clock();
      const out = new Map(devices.map((d) => [d.mac, new Map<string, LineRegistration>()]));
      for (const number of new Set(devices.flatMap((d) => d.lines.map((l) => l.extension)))) {
        const ext = await store.getExtension(number);
        if (!ext) continue;
        const states = lineStates(ext, await store.listDevices({ extension: number }), await store.listRegistrations({ extension: number }), now);
        for (const d of devices) {
          const state = states.get(d.mac);
          if (state) out.get(d.mac)!.set(number, state);
        }
      }
      return out;
    },
  };
}
