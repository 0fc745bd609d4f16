// Secret rotation: while phones catch up with a changed secret, the registrar
// keeps accepting the previous one. The wait ends on evidence: when every
// device that had the old secret has fetched a config carrying the new one,
// every softphone link that handed out the old secret is synced or dead, and
// no live registration the registrar reported still uses the old secret; or
// when the grace passes, or when an admin revokes it. Once the feed stops
// answering the old HA1 nobody can register with it again, so once ended a
// rotation stays ended.
import type { DeviceRecord } from './device.ts';
import type { ExtensionRecord, Rotation } from './extension.ts';
import type { LinkRecord } from './link.ts';
import { contactsOnOldSecret, type RegistrationRecord } from './registration.ts';

export interface RotationView {
  previousAcceptedUntil: string | null;
  /** contacts: registrations the registrar reported still on the old secret. */
  waitingFor: { macs: string[]; links: string[]; contacts: string[] };
}

export const NO_ROTATION: RotationView = { previousAcceptedUntil: null, waitingFor: { macs: [], links: [], contacts: [] } };

/** Associated data binding a sealed previous secret to its extension. */
export const previousSecretContext = (number: string) => `extension:${number}:previous-secret`;

/** Whom the previous secret is still kept for. */
export function waitingFor(
  rotation: Rotation,
  secretVersion: number,
  devices: Pick<DeviceRecord, 'mac' | 'lines' | 'fetchedVersion'>[],
  links: LinkRecord[],
  now: Date,
  number: string,
): { macs: string[]; links: string[] } {
  const macs = devices
    .filter((d) => {
      const needed = rotation.devices[d.mac];
      if (needed === undefined || !d.lines.some((l) => l.extension === number)) return false;
      return d.fetchedVersion === null || d.fetchedVersion < needed;
    })
    .map((d) => d.mac)
    .sort();
  const waitingLinks = links
    .filter(
      (l) =>
        l.lastSecretVersion !== null &&
        l.lastSecretVersion < secretVersion &&
        l.revokedAt === null &&
        Date.parse(l.expiresAt) > now.getTime(),
    )
    .map((l) => l.id)
    .sort();
  return { macs, links: waitingLinks };
}

/** The rotation as it stands now; previousAcceptedUntil null once it has ended. */
export function rotationView(
  ext: Pick<ExtensionRecord, 'number' | 'rotation' | 'secretVersion'>,
  devices: Pick<DeviceRecord, 'mac' | 'lines' | 'fetchedVersion'>[],
  links: LinkRecord[],
  now: Date,
  registrations: readonly RegistrationRecord[] = [],
): RotationView {
  const r = ext.rotation;
  if (!r || Date.parse(r.acceptedUntil) <= now.getTime()) return NO_ROTATION;
  const waiting = { ...waitingFor(r, ext.secretVersion, devices, links, now, ext.number), contacts: contactsOnOldSecret(registrations, ext.secretVersion, now) };
  if (waiting.macs.length === 0 && waiting.links.length === 0 && waiting.contacts.length === 0) return NO_ROTATION;
  return { previousAcceptedUntil: r.acceptedUntil, waitingFor: waiting };
}
