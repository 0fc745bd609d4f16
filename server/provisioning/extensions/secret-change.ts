// A new secret for an extension, the same whether an admin sets or generates
// one or an import carries it. Unless the old one is revoked, the change
// starts a rotation: the registrar feed keeps accepting the old secret while
// the phones that hold it fetch the new one (domain/rotation.ts).
import type { DeviceRecord } from '../../domain/device.ts';
import type { ExtensionRecord } from '../../domain/extension.ts';
import { previousSecretContext } from '../../domain/rotation.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { secretContext } from '../../domain/seal-contexts.ts';

export interface SecretChange {
  box: SecretBox;
  now: Date;
  /** PROV_ROTATION_GRACE_MINUTES: 0 keeps no previous secret. */
  graceMinutes: number;
  revokePrevious?: boolean;
}

/**
 * The extension (already changed otherwise, or as stored) with `secret`, and
 * the devices of it that have fetched the old secret: the rotation records,
 * for each, the configVersion its re-render will take. The caller names each
 * of those devices at its revision in the batch, so a device changed
 * meanwhile makes the change re-plan instead of recording a wrong version.
 */
export function withNewSecret(ext: ExtensionRecord, secret: string, fetched: DeviceRecord[], { box, now, graceMinutes, revokePrevious = false }: SecretChange) {
  const keep = !revokePrevious && graceMinutes > 0;
  const at = now.toISOString();
  const record: ExtensionRecord = {
    ...ext,
    secretSealed: box.seal(secret, secretContext(ext.number)),
    secretVersion: ext.secretVersion + 1,
    rotation: keep
      ? {
          previousSecretSealed: box.seal(box.open(ext.secretSealed, secretContext(ext.number)), previousSecretContext(ext.number)),
          previousVersion: ext.secretVersion,
          startedAt: at,
          acceptedUntil: new Date(now.getTime() + graceMinutes * 60_000).toISOString(),
          devices: Object.fromEntries(fetched.map((d) => [d.mac, d.configVersion + 1])),
        }
      : null,
  };
  return { record, kept: keep, waitFor: keep ? fetched : [] };
}
