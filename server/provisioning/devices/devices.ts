// Room: provisioning/devices/ owns devices (MAC, vendor, model, lines), their claim
// window and provisioning credentials, and the admin's view of their files.
// It may call domain/, render/ (profiles, names), storage/, provisioning/change/
// and audit/.
//
// Device use cases: map phones (by MAC) onto extensions, line by line.
import { isDeepStrictEqual } from 'node:util';
import { previousPasswordAlive, type DeviceRecord, type DeviceStatus } from '../../domain/device.ts';
import { provPasswordContext } from '../../domain/seal-contexts.ts';
import { Conflict, NotFound } from '../../domain/errors.ts';
import type { Mac } from '../../domain/mac.ts';
import type { NotifyStateName, PushMode } from '../../domain/notify.ts';
import type { LineRegistration, RegistrationState } from '../../domain/registration.ts';
import type { Actor } from '../../domain/token.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { generateSecret } from '../../domain/secret.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { type Store, type WriteOp } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import type { Registrations } from '../registrations/registrations.ts';
import { createSitePolling } from '../sites/site-polling.ts';
import { useSite } from '../sites/site-rules.ts';
import { createDeviceRules, type LineInput } from './device-rules.ts';
import { createDeviceView, registrationFlagged } from './device-view.ts';

export interface DevicesDeps {
  store: Store;
  catalog: CatalogHolder;
  clock: () => Date;
  runChange: RunChange;
  box: SecretBox;
  /** How long a new device may fetch without credentials (the zero-touch claim window). */
  claimMinutes: number;
  /** PROV_NOTIFY, so each device says whether push can reach it and, where not, when it polls by itself. */
  pushMode?: PushMode;
  /** Each line's registration as the registrar reported it (provisioning/registrations). */
  registrations?: Pick<Registrations, 'lines'>;
  /**
   * Resolves once every fetch a phone has been answered for has reached this
   * process's queue of fetch records (with workers: each one handed over what
   * it holds). Reads that show fetch state wait for it, so a read made after
   * a phone's answer shows that fetch whichever worker served it. Changes do
   * not: what they read of fetch state cannot turn on a fetch of the same moment.
   */
  settled?: () => Promise<void>;
}

export interface CreateDevice {
  mac: Mac;
  vendor: string;
  model?: string | null;
  label?: string | null;
  lines?: LineInput[];
  sipContact?: string | null;
  /** Left out or null: the site of the extension on its first line. */
  site?: string | null;
}

export interface UpdateDevice {
  vendor?: string;
  model?: string | null;
  label?: string | null;
  lines?: LineInput[];
  sipContact?: string | null;
  /** null: follow the first line's extension again. */
  site?: string | null;
}

export interface DeviceFilter {
  /** A line in this registration state; `failed` also takes a synced phone still on the old secret after OLD_SECRET_FLAG_MS. */
  registration?: RegistrationState;
  status?: DeviceStatus;
  vendor?: string;
  extension?: string;
  notify?: NotifyStateName;
  /** Part of the MAC (any notation), label, model or a line's extension. */
  q?: string;
}

export interface PageRequest {
  /** The last key of the previous page. */
  after?: string;
  limit: number;
}

/** A MAC typed with separators (80:5E:C0…, 805E.C0…) searches as the bare lowercase hex the store keeps. */
function macSearch(q: string): string {
  const bare = q.replace(/[:.-]/g, '');
  return /^[0-9a-f]+$/i.test(bare) && bare.length >= 2 ? bare.toLowerCase() : q;
}

const target = (mac: string) => `device:${mac}`;

export type Devices = ReturnType<typeof createDevices>;

export function createDevices({ store, settled = async () => {}, catalog, clock, runChange, box, claimMinutes, pushMode = 'off', registrations }: DevicesDeps) {
  const view = createDeviceView({ catalog, clock, pushMode });
  const lines = async (devices: DeviceRecord[]) => (registrations ? registrations.lines(devices) : new Map<string, Map<string, LineRegistration>>());
  const polling = createSitePolling(store);
  const show = async (d: DeviceRecord) => view(d, (await lines([d])).get(d.mac), (await polling([d])).get(d.mac));
  const { refuseReserved, checkVendor, resolveLines } = createDeviceRules({ store, catalog });
  // PROV_CLAIM_MINUTES=0 turns claims off: no window is ever open, and none is shown.
  const claimEnd = (now: Date) => (claimMinutes > 0 ? new Date(now.getTime() + claimMinutes * 60_000).toISOString() : null);

  async function load(mac: Mac): Promise<DeviceRecord> {
    const device = await store.getDevice(mac);
    if (!device) throw new NotFound(`device ${mac} does not exist`, 'device-not-found');
    return device;
  }

  /**
   * The device with a new provisioning password. The one the phone holds
   * keeps working until the phone fetched a file carrying the new one: that
   * is the previous password while it is still alive (the phone has not
   * fetched since the last rotation either), else the current one. Immediate,
   * or a phone that has no files to carry it, keeps nothing.
   */
  function rotated(device: DeviceRecord, at: string, immediate: boolean): DeviceRecord {
    const held = previousPasswordAlive(device) ? device.provPasswordPreviousSealed! : device.provPasswordSealed;
    const keep = !immediate && device.lines.length > 0;
    return {
      ...device,
      provPasswordSealed: box.seal(generateSecret(), provPasswordContext(device.mac)),
      provPasswordPreviousSealed: keep ? held : null,
      rotatedFromVersion: keep ? device.configVersion : null,
      credentialsRotatedAt: at,
      updatedAt: at,
      rev: device.rev + 1,
    };
  }

  function openClaim(actor: Actor, mac: Mac, now: Date): WriteOp[] {
    const until = claimEnd(now);
    if (until === null) return [{ op: 'close-claim', mac }];
    return [
      { op: 'open-claim', mac, until },
      auditOp(actor, now.toISOString(), 'device.claim-opened', target(mac), { until }),
    ];
  }

  return {
    /** One page in MAC order; `next` is the key to continue after, null on the last page. */
    async page(filter: DeviceFilter, page: PageRequest) {
      await settled();
      const { q, notify, registration, ...rest } = filter;
      // acknowledged turns into no-fetch by time alone, so those two are told apart on the view, not in the store.
      const byTime = notify === 'no-fetch' || notify === 'acknowledged';
      const query = { ...rest, ...(q === undefined ? {} : { q: macSearch(q) }), ...(notify && !byTime ? { notify } : {}) };
      const items: Awaited<ReturnType<typeof show>>[] = [];
      let after = page.after;
      for (;;) {
        const batch = await store.listDevices({ ...query, after, limit: page.limit + 1 });
        const states = await lines(batch);
        const every = await polling(batch);
        const now = clock();
        for (const d of batch) {
          const regs = states.get(d.mac) ?? new Map<string, LineRegistration>();
          const shown = view(d, regs, every.get(d.mac));
          if (notify && shown.notify?.state !== notify) continue;
          if (registration === 'failed' ? !registrationFlagged(d, regs, now) : registration && ![...regs.values()].some((r) => r.state === registration)) continue;
          items.push(shown);
        }
        if (batch.length <= page.limit || items.length > page.limit) break;
        after = batch.at(-1)!.mac;
      }
      const shown = items.slice(0, page.limit);
      return { items: shown, next: items.length > page.limit ? shown.at(-1)!.mac : null };
    },

    async get(mac: Mac) {
      await settled();
      return show(await load(mac));
    },

    async create(actor: Actor, input: CreateDevice) {
      refuseReserved(input.mac);
      const { model, maxLines } = checkVendor(input.vendor, input.model ?? null);
      await runChange(async () => {
        if (await store.getDevice(input.mac)) {
          throw new Conflict('device-exists', `device ${input.mac} already exists`);
        }
        const now = clock();
        const at = now.toISOString();
        const { lines, guards } = await resolveLines(input.lines ?? [], maxLines);
        const placed = input.site ? await useSite(store, input.site) : null;
        const record: DeviceRecord = {
          mac: input.mac,
          vendor: input.vendor,
          model,
          label: input.label ?? null,
          lines,
          ...(input.sipContact ? { sipContact: input.sipContact } : {}),
          ...(placed ? { site: placed.site.name } : {}),
          configVersion: 0,
          fetchedVersion: null,
          lastFetch: null,
          provPasswordSealed: box.seal(generateSecret(), provPasswordContext(input.mac)),
          claimUntil: claimEnd(now),
          createdAt: at,
          updatedAt: at,
          rev: 1,
        };
        return {
          ops: [
            ...guards,
            ...(placed?.guards ?? []),
            { op: 'insert-device', record },
            auditOp(actor, at, 'device.created', target(record.mac), { vendor: record.vendor, lines: record.lines }),
          ],
          result: undefined,
        };
      });
      // Read back: re-rendering set the configVersion in the same commit.
      return show(await load(input.mac));
    },

    async update(actor: Actor, mac: Mac, patch: UpdateDevice) {
      await runChange(async () => {
        const device = await load(mac);
        const vendor = patch.vendor ?? device.vendor;
        const { model, maxLines } = checkVendor(vendor, patch.model === undefined ? device.model : patch.model);
        const at = clock().toISOString();
        // Kept lines are checked again: a new vendor or model may have fewer.
        const { lines, guards } = await resolveLines(patch.lines ?? device.lines, maxLines);
        // Only placing it in another site starts referring to one.
        const placed = patch.site && patch.site !== device.site ? await useSite(store, patch.site) : null;
        const { site: _was, ...unplaced } = device;
        const next: DeviceRecord = {
          ...(patch.site === null ? unplaced : device),
          ...(placed ? { site: placed.site.name } : {}),
          vendor,
          model,
          label: patch.label === undefined ? device.label : patch.label,
          lines,
          sipContact: patch.sipContact === undefined ? (device.sipContact ?? null) : patch.sipContact,
          updatedAt: at,
          rev: device.rev + 1,
        };
        const fields = (['vendor', 'model', 'label', 'lines', 'sipContact', 'site'] as const).filter(
          (k) => !isDeepStrictEqual(device[k] ?? null, next[k] ?? null),
        );
        if (fields.length === 0) return { ops: [], result: undefined };
        const ops: WriteOp[] = [
          ...(fields.includes('lines') ? guards : []),
          ...(placed?.guards ?? []),
          { op: 'update-device', record: next, expectRev: device.rev },
          auditOp(actor, at, 'device.updated', target(mac), { fields, lines: next.lines }),
        ];
        // A phone that showed up by itself and now gets its lines is provisioned
        // zero-touch like a new device: its claim window opens now.
        if (device.lines.length === 0 && next.lines.length > 0) ops.push(...openClaim(actor, mac, clock()));
        return { ops, result: undefined };
      });
      return show(await load(mac));
    },

    /**
     * The credentials the phone authenticates to us with, for setting one up by
     * hand (its web UI's provisioning server fields). Audited like a secret reveal.
     */
    async revealCredentials(actor: Actor, mac: Mac) {
      return runChange(async () => {
        const device = await load(mac);
        const password = box.open(device.provPasswordSealed, provPasswordContext(mac));
        return {
          ops: [auditOp(actor, clock().toISOString(), 'device.credentials-revealed', target(mac))],
          result: { user: device.mac, password },
        };
      });
    },

    /**
     * Re-opens the claim window, e.g. for a phone that was factory-reset,
     * with a new provisioning password: a password taken through an earlier
     * window dies once the phone has fetched the new one.
     */
    async claim(actor: Actor, mac: Mac) {
      await runChange(async () => {
        const device = await load(mac);
        const now = clock();
        const next = rotated(device, now.toISOString(), false);
        return {
          ops: [{ op: 'update-device', record: next, expectRev: device.rev }, ...openClaim(actor, mac, now)],
          result: undefined,
        };
      });
      return show(await load(mac));
    },

    /**
     * A new provisioning password on demand. The old one works until the
     * phone has fetched the file carrying the new one, unless `immediate`
     * (a suspected leak): then it stops at once and the phone needs a claim.
     */
    async rotateCredentials(actor: Actor, mac: Mac, { immediate = false }: { immediate?: boolean } = {}) {
      await runChange(async () => {
        const device = await load(mac);
        const at = clock().toISOString();
        const next = rotated(device, at, immediate);
        return {
          ops: [
            { op: 'update-device', record: next, expectRev: device.rev },
            auditOp(actor, at, 'device.credentials-rotated', target(mac), { immediate, previousKept: !!next.provPasswordPreviousSealed }),
          ],
          result: undefined,
        };
      });
      return show(await load(mac));
    },

    async remove(actor: Actor, mac: Mac) {
      await runChange(async () => {
        const device = await load(mac);
        const at = clock().toISOString();
        return {
          ops: [{ op: 'delete-device', mac, expectRev: device.rev }, auditOp(actor, at, 'device.deleted', target(mac))],
          result: undefined,
        };
      });
    },
  };
}
