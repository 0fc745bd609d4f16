// Room: provisioning/extensions/ owns SIP extensions and their secrets. It may call
// domain/, storage/ and provisioning/change/ and audit/; it renders nothing
// itself: the change runner's re-render hook does.
//
// Extension use cases: create, change and delete SIP accounts, and the only
// code that opens, sets or generates a secret. Every secret reveal and change
// is audited in the same batch as the change itself.
import { deviceStatus, type DeviceRecord } from '../../domain/device.ts';
import { Conflict, NotFound } from '../../domain/errors.ts';
import { extensionGuard, publicExtension, type ExtensionRecord } from '../../domain/extension.ts';
import { publicLink } from '../../domain/link.ts';
import { assertValidSecret, generateSecret } from '../../domain/secret.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { secretContext } from '../../domain/seal-contexts.ts';
import type { Actor } from '../../domain/token.ts';
import { readGuard, type Store, type WriteOp } from '../../storage/store.ts';
import { rotationView } from '../../domain/rotation.ts';
import { publicRegistration, UNKNOWN_REGISTRATION } from '../../domain/registration.ts';
import { lineStates } from '../registrations/registrations.ts';
import { auditOp } from '../audit/audit-op.ts';
import { DEFAULT_SITE, siteOf } from '../../domain/site.ts';
import { findSite, useSite } from '../sites/site-rules.ts';
import { changedFields, newExtension, patchedExtension } from './extension-records.ts';
import { withNewSecret } from './secret-change.ts';
import type { RunChange } from '../change/change-runner.ts';

export interface ExtensionsDeps {
  store: Store;
  /** Reads that show fetch state wait for it (see DevicesDeps.settled). */
  settled?: () => Promise<void>;
  box: SecretBox;
  clock: () => Date;
  runChange: RunChange;
  /** PROV_ROTATION_GRACE_MINUTES: the longest the previous secret stays accepted. */
  rotationGraceMinutes?: number;
}

export interface SecretChangeOptions {
  /** Drop the previous secret at once (a suspected leak) instead of keeping it through a grace. */
  revokePrevious?: boolean;
}

export type { CreateExtension, UpdateExtension } from './extension-records.ts';
import type { CreateExtension, UpdateExtension } from './extension-records.ts';

const target = (number: string) => `extension:${number}`;

export type Extensions = ReturnType<typeof createExtensions>;

export function createExtensions({ store, settled = async () => {}, box, clock, runChange, rotationGraceMinutes = 1440 }: ExtensionsDeps) {
  async function load(number: string): Promise<ExtensionRecord> {
    const ext = await store.getExtension(number);
    if (!ext) throw new NotFound(`extension ${number} does not exist`, 'extension-not-found');
    return ext;
  }

  /** The rotation as admins see it, from the extension's devices as just read. */
  async function rotation(ext: ExtensionRecord, devices: DeviceRecord[]) {
    const [links, registrations] = [await store.listLinks({ extension: ext.number }), await store.listRegistrations({ extension: ext.number })];
    return rotationView(ext, devices, links, clock(), registrations);
  }

  /**
   * The new secret's batch also starts the rotation: it records, for every
   * device that has fetched the old secret, the configVersion its re-render
   * will take, and names each of those devices at its revision, so a device
   * changed meanwhile makes the change re-plan instead of recording a wrong version.
   */
  async function changeSecret(
    actor: Actor,
    number: string,
    secret: string,
    method: 'set' | 'generate',
    { revokePrevious = false }: SecretChangeOptions,
  ) {
    const version = await runChange(async () => {
      const ext = await load(number);
      const now = clock();
      const at = now.toISOString();
      const devices = (await store.listDevices({ extension: number })).filter((d) => d.fetchedVersion !== null);
      const changed = withNewSecret(ext, secret, devices, { box, now, graceMinutes: rotationGraceMinutes, revokePrevious });
      const keep = changed.kept;
      const next: ExtensionRecord = { ...changed.record, updatedAt: at, rev: ext.rev + 1 };
      const touch: WriteOp[] = changed.waitFor.map((d) => ({ op: 'update-device', record: { ...d, rev: d.rev + 1 }, expectRev: d.rev }));
      return {
        ops: [
          { op: 'update-extension', record: next, expectRev: ext.rev },
          ...touch,
          auditOp(actor, at, 'secret.changed', target(number), {
            version: next.secretVersion,
            method,
            previous: keep ? 'kept' : revokePrevious ? 'revoked' : 'dropped',
            // A generated secret is shown to the admin who generated it: this event is its reveal too.
            ...(method === 'generate' ? { shown: true } : {}),
          }),
        ],
        result: next,
      };
    });
    // One read of the devices (each waits for the fetch records) serves both answers.
    const devices = await store.listDevices({ extension: number });
    return {
      version: version.secretVersion,
      ...(method === 'generate' ? { secret } : {}),
      devices: devices.map((d) => ({ mac: d.mac, status: deviceStatus(d) })),
      rotation: await rotation(version, devices),
    };
  }

  return {
    async list() {
      return (await store.listExtensions()).map(publicExtension);
    },

    /** One page in number order; `next` is the key to continue after, null on the last page. */
    async page(query: { q?: string; after?: string; limit: number }) {
      const found = await store.listExtensions({ q: query.q, after: query.after, limit: query.limit + 1 });
      const items = found.slice(0, query.limit);
      return { items: items.map(publicExtension), next: found.length > query.limit ? items.at(-1)!.number : null };
    },

    async get(number: string) {
      await settled();
      const ext = await load(number);
      const devices = await store.listDevices({ extension: number });
      const now = clock();
      const regs = await store.listRegistrations({ extension: number });
      const states = lineStates(ext, devices, regs, now);
      return {
        ...publicExtension(ext),
        devices: devices.flatMap((d) =>
          d.lines
            .filter((l) => l.extension === number)
            .map((l) => ({ mac: d.mac, vendor: d.vendor, line: l.line, status: deviceStatus(d), registration: states.get(d.mac) ?? UNKNOWN_REGISTRATION })),
        ),
        registrations: regs.map((r) => publicRegistration(r, ext.secretVersion, Boolean(ext.rotation))),
        // One-use app addresses belong to the link that handed them out.
        links: (await store.listLinks({ extension: number })).filter((l) => !l.parentId).map((l) => publicLink(l, ext.secretVersion, now)),
        rotation: await rotation(ext, devices),
      };
    },

    async create(actor: Actor, input: CreateExtension) {
      const secret = input.secret === undefined ? generateSecret() : assertValidSecret(input.secret);
      return runChange(async () => {
        if (await store.getExtension(input.number)) {
          throw new Conflict('extension-exists', `extension ${input.number} already exists`);
        }
        const { site, guards } = await useSite(store, input.site ?? DEFAULT_SITE);
        const at = clock().toISOString();
        const record = newExtension(input, site, box.seal(secret, secretContext(input.number)), at);
        return {
          ops: [
            ...guards,
            { op: 'insert-extension', record },
            auditOp(actor, at, 'extension.created', target(record.number), {
              secretVersion: 1,
              secretGenerated: input.secret === undefined,
            }),
          ],
          result: publicExtension(record),
        };
      });
    },

    async update(actor: Actor, number: string, patch: UpdateExtension) {
      return runChange(async () => {
        const ext = await load(number);
        const moving = patch.site !== undefined && patch.site !== siteOf(ext);
        // Only a move starts referring to a site; staying keeps a reference the site's deletion already checks.
        const { site, guards } = moving ? await useSite(store, patch.site!) : { site: await findSite(store, siteOf(ext)), guards: [] };
        if (!site) throw new NotFound(`site ${siteOf(ext)} does not exist`, 'site-not-found');
        const at = clock().toISOString();
        const next = patchedExtension(ext, patch, site, at);
        const changed = changedFields(ext, next);
        if (changed.length === 0) return { ops: [], result: publicExtension(ext) };
        return {
          ops: [
            ...guards,
            { op: 'update-extension', record: next, expectRev: ext.rev },
            auditOp(actor, at, 'extension.updated', target(number), { fields: changed }),
          ],
          result: publicExtension(next),
        };
      });
    },

    async remove(actor: Actor, number: string) {
      await runChange(async () => {
        const guard = await readGuard(store, extensionGuard(number));
        const ext = await load(number);
        const users = await store.listDevices({ extension: number });
        if (users.length > 0) {
          throw new Conflict(
            'extension-in-use',
            `extension ${number} is used by ${users.length} device(s): ${users.map((d) => d.mac).join(', ')}`,
          );
        }
        const at = clock().toISOString();
        return {
          ops: [
            { op: 'guard', name: extensionGuard(number), expect: guard },
            { op: 'delete-extension', number, expectRev: ext.rev },
            auditOp(actor, at, 'extension.deleted', target(number)),
          ],
          result: undefined,
        };
      });
    },

    async revealSecret(actor: Actor, number: string, purpose?: 'copy') {
      return runChange(async () => {
        const ext = await load(number);
        const secret = box.open(ext.secretSealed, secretContext(number));
        return {
          ops: [
            auditOp(actor, clock().toISOString(), 'secret.revealed', target(number), {
              version: ext.secretVersion,
              ...(purpose ? { via: purpose } : {}),
            }),
          ],
          result: { secret, version: ext.secretVersion },
        };
      });
    },

    setSecret(actor: Actor, number: string, secret: string, options: SecretChangeOptions = {}) {
      return changeSecret(actor, number, assertValidSecret(secret), 'set', options);
    },

    generateSecret(actor: Actor, number: string, options: SecretChangeOptions = {}) {
      return changeSecret(actor, number, generateSecret(), 'generate', options);
    },
  };
}
