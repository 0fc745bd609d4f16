// The inbox: phones that asked for their file before anyone mapped them. An
// unknown MAC asking with its vendor's User-Agent becomes an unassigned
// device for an admin to assign; asking again proves nothing, so what it says
// (its address, firmware, model) is kept at most once per device every
// SIGHTING_MS and never audited, and the list is bounded overall and per
// source address, so anonymous requests cannot grow the store.
import type { Logger } from 'pino';
import { storedUserAgent, type DeviceRecord } from '../../domain/device.ts';
import type { Mac } from '../../domain/mac.ts';
import { provPasswordContext } from '../../domain/seal-contexts.ts';
import type { SecretBox } from '../../domain/secret-box.ts';
import { generateSecret } from '../../domain/secret.ts';
import { createWeighedMap } from '../../domain/weighed-map.ts';
import type { FileMatch } from '../../render/file-names.ts';
import { findModel, type VendorProfile } from '../../render/profiles.ts';
import { parseUserAgent } from '../../render/user-agent.ts';
import type { Store, WriteOp } from '../../storage/store.ts';
import type { RunChange } from '../change/change-runner.ts';

/** The share of the unassigned list one source address may hold (never fewer than UNASSIGNED_PER_ADDRESS_FLOOR). */
export const UNASSIGNED_SHARE_PER_ADDRESS = 0.1;
/** A small site's phones often come from one address (a NAT); that many always fit. */
export const UNASSIGNED_PER_ADDRESS_FLOOR = 10;

/**
 * The unassigned device to drop for a newcomer from `ip`, or null when there
 * is room: an address at its share gives up its own weakest device, a full
 * list its weakest overall. Weakest is seen least often, then least recently:
 * a real phone keeps asking, a made-up MAC asks once.
 */
export function unassignedToDrop(waiting: DeviceRecord[], ip: string, max: number): DeviceRecord | null {
  const weakest = (list: DeviceRecord[]) =>
    list.reduce<DeviceRecord | null>((worst, d) => {
      if (!worst) return d;
      const [a, b] = [d.lastSeen?.count ?? 0, worst.lastSeen?.count ?? 0];
      if (a !== b) return a < b ? d : worst;
      return (d.lastSeen?.at ?? d.createdAt) < (worst.lastSeen?.at ?? worst.createdAt) ? d : worst;
    }, null);
  const share = Math.max(UNASSIGNED_PER_ADDRESS_FLOOR, Math.floor(max * UNASSIGNED_SHARE_PER_ADDRESS));
  const mine = waiting.filter((d) => d.lastSeen?.ip === ip);
  if (mine.length >= share) return weakest(mine);
  return waiting.length >= max ? weakest(waiting) : null;
}

/** An inbox phone asking again is recorded at most this often: anonymous requests must not grow the store. */
export const SIGHTING_MS = 5 * 60_000;
const SIGHTED_MAX = 20_000;

export interface InboxDeps {
  store: Store;
  box: SecretBox;
  clock: () => Date;
  runChange: RunChange;
  log: Logger;
  maxUnassigned: number;
}

/** What the inbox needs of a phone's request. */
interface Asked {
  ip: string;
  userAgent: string;
  file: string;
}

export function createInbox({ store, box, clock, runChange, log, maxUnassigned }: InboxDeps) {
  /** An unknown MAC asking with its vendor's User-Agent becomes an unassigned device for an admin to map. */
  async function detect(matches: FileMatch[], mac: Mac, req: Asked): Promise<void> {
    for (const m of matches) {
      if (m.kind !== 'render' || !m.spec.detect) continue;
      const agent = parseUserAgent(m.profile, req.userAgent);
      if (!agent || (agent.mac && agent.mac !== mac)) continue;
      const at = clock().toISOString();
      const device: DeviceRecord = {
        mac,
        vendor: m.profile.id,
        model: findModel(m.profile, agent.model) ?? null,
        firmware: agent.firmware || null,
        label: null,
        lines: [],
        configVersion: 0,
        // Seen, but served nothing: once lines are assigned it is `never`, not
        // `pending`, and until it proves itself no NOTIFY goes to this address.
        fetchedVersion: null,
        lastFetch: null,
        lastSeen: { at, ip: req.ip, userAgent: storedUserAgent(req.userAgent), file: req.file, count: 1 },
        provPasswordSealed: box.seal(generateSecret(), provPasswordContext(mac)),
        // Opens when an admin gives it lines.
        claimUntil: null,
        createdAt: at,
        updatedAt: at,
        rev: 1,
      };
      try {
        await runChange(async () => {
          const waiting = await store.listDevices({ unassigned: true });
          const drop: WriteOp[] = [];
          // More than one only when the cap was lowered since the list grew.
          while (waiting.length >= maxUnassigned || drop.length === 0) {
            const victim = unassignedToDrop(waiting, req.ip, maxUnassigned);
            if (!victim) break;
            waiting.splice(waiting.indexOf(victim), 1);
            drop.push({ op: 'delete-device', mac: victim.mac, expectRev: victim.rev });
          }
          return { ops: [...drop, { op: 'insert-device', record: device }], result: undefined };
        });
        log.info({ mac, vendor: device.vendor, model: agent.model, ip: req.ip }, 'unknown phone recorded as unassigned');
      } catch (err) {
        // Two first fetches of the same phone at once: the other one recorded it.
        if ((err as { code?: string }).code !== 'device-exists') throw err;
      }
      return;
    }
  }

  const sighted = createWeighedMap<number>(SIGHTED_MAX, Infinity, () => 0);
  async function seenAgain(profile: VendorProfile, device: DeviceRecord, req: Asked): Promise<void> {
    const now = clock().getTime();
    const last = Math.max(sighted.get(device.mac) ?? 0, device.lastSeen ? Date.parse(device.lastSeen.at) : 0);
    if (now - last < SIGHTING_MS) return;
    sighted.set(device.mac, now);
    const at = new Date(now).toISOString();
    await store.recordFetch(device.mac, { version: null, at, ip: req.ip, userAgent: storedUserAgent(req.userAgent), file: req.file, credential: null });
    const agent = parseUserAgent(profile, req.userAgent);
    if (!agent || (agent.mac && agent.mac !== device.mac)) return;
    const model = findModel(profile, agent.model) ?? device.model;
    const firmware = agent.firmware || device.firmware || null;
    if (model === device.model && firmware === (device.firmware ?? null)) return;
    await runChange(async () => {
      const fresh = await store.getDevice(device.mac);
      // Assigned meanwhile: from now on only what it proves counts.
      if (!fresh || fresh.vendor !== profile.id || fresh.lines.length > 0) return { ops: [], result: undefined };
      return { ops: [{ op: 'update-device', record: { ...fresh, model, firmware, updatedAt: at, rev: fresh.rev + 1 }, expectRev: fresh.rev }], result: undefined };
    });
  }

  return { detect, seenAgain };
}
