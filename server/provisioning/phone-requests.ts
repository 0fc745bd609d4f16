// What a desk phone gets when it asks for a file or uploads one: the device
// by the MAC in the file name, its vendor by the device record, the stored
// bytes (a fetch never renders), and a record of each fetch of the
// credential-bearing file so the admin sees pending → synced.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { provPasswordContext, type DeviceRecord } from '../domain/device.ts';
import { generateSecret } from '../domain/secret.ts';
import type { Mac } from '../domain/mac.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import type { CatalogHolder } from '../render/catalog.ts';
import type { FileMatch } from '../render/file-names.ts';
import { encodeBody } from '../render/body-encoding.ts';
import { findModel, type VendorProfile } from '../render/profiles.ts';
import { vendorOwner } from '../render/renderer.ts';
import { parseUserAgent } from '../render/user-agent.ts';
import type { RenderRecord, Store, WriteOp } from '../storage/store.ts';
import type { RunChange } from './change-runner.ts';
import type { EventBus } from './events.ts';
import type { PhoneAccess, PhoneClient, Refusal } from './phone-access.ts';
import { renderContext } from './rerender.ts';

export interface PhoneRequest extends PhoneClient {
  file: string;
  ifNoneMatch?: string;
  /** A HEAD request: answered like GET, but it neither counts as a fetch nor records a phone. */
  head?: boolean;
}

export type PhoneAnswer = Refusal | { status: 200 | 304; body: Buffer; contentType: string; etag: string };

export interface PhoneDeps {
  store: Store;
  box: SecretBox;
  catalog: CatalogHolder;
  clock: () => Date;
  runChange: RunChange;
  log: Logger;
  access: PhoneAccess;
  events: EventBus;
  /** How many unassigned devices are kept; the oldest go first. */
  maxUnassigned: number;
}

const NOT_FOUND: PhoneAnswer = { status: 404 };
export const uploadContext = (mac: string, file: string) => `upload:${mac}:${file}`;

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex')}"`;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}

export function createPhoneRequests({ store, box, catalog, clock, runChange, log, access, events, maxUnassigned }: PhoneDeps) {
  function answerText(profile: VendorProfile, text: string, ifNoneMatch: string | undefined): PhoneAnswer {
    const { bytes, contentType } = encodeBody(profile, text);
    return answer(bytes, contentType, ifNoneMatch);
  }

  function answer(body: Buffer, contentType: string, ifNoneMatch: string | undefined): PhoneAnswer {
    const etag = etagOf(body);
    return { status: matchesEtag(ifNoneMatch, etag) ? 304 : 200, body, contentType, etag };
  }

  /** An unknown MAC asking with its vendor's User-Agent becomes an unassigned device for an admin to map. */
  async function detect(matches: FileMatch[], mac: Mac, req: PhoneRequest): Promise<void> {
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
        // Seen, but served nothing: once lines are assigned it is `never`, not `pending`.
        fetchedVersion: null,
        lastFetch: { at, ip: req.ip, userAgent: req.userAgent, file: req.file },
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
          const drop: WriteOp[] = waiting
            .slice(0, Math.max(0, waiting.length - maxUnassigned + 1))
            .map((d) => ({ op: 'delete-device', mac: d.mac, expectRev: d.rev }));
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

  /** The one moment a secret leaves without proof of who asked: always on record. */
  async function auditClaim(device: DeviceRecord, req: PhoneRequest, version: number | null) {
    const at = clock().toISOString();
    const details = { file: req.file, ip: req.ip, userAgent: req.userAgent, version };
    await runChange(async () => ({
      ops: [{ op: 'audit', event: { at, actor: `phone:${device.mac}`, actorTokenId: null, action: 'device.claimed', target: `device:${device.mac}`, details } }],
      result: undefined,
    }));
  }

  async function fetchDeviceFile(m: FileMatch, device: DeviceRecord, req: PhoneRequest, render: RenderRecord | null): Promise<PhoneAnswer> {
    const needsCredentials = m.kind === 'upload' || m.spec.credentials;
    const gate = await access.device(device, needsCredentials, req);
    if (!gate.granted) return gate.refusal;
    if (m.kind === 'upload') {
      if (!m.spec.override) return NOT_FOUND;
      const upload = await store.getUpload(device.mac, req.file);
      if (!upload) return NOT_FOUND;
      const body = Buffer.from(box.open(upload.sealedBody, uploadContext(device.mac, req.file)), 'base64');
      // A handset override can hold a typed password.
      if (gate.via === 'claim' && !req.head) await auditClaim(device, req, null);
      return answer(body, m.profile.contentType, req.ifNoneMatch);
    }
    // The version is read before the bytes: if a change lands in between, the
    // fetch is recorded as older than it is (pending), never as newer.
    // Both came from one read, so they are consistent with each other.
    const version = device.configVersion;
    if (!render) return NOT_FOUND;
    const text = box.open(render.sealedBody, renderContext(device.mac, req.file));
    if (m.spec.credentials && !req.head) {
      const at = clock().toISOString();
      if (gate.via === 'claim') await auditClaim(device, req, version);
      await store.recordFetch(device.mac, { version, at, ip: req.ip, userAgent: req.userAgent, file: req.file });
      events.publish({ type: 'fetched', mac: device.mac, version, at });
    }
    return answerText(m.profile, text, req.ifNoneMatch);
  }

  /** The known device a /prov name is about, with the vendor's matching entry; null when there is none. */
  async function resolve(file: string) {
    const matches = catalog.current().matchFile(file);
    // A shared file's literal name wins over a {mac} pattern it also fits
    // (Polycom's 000000000000.cfg is not the device 000000000000).
    const shared = matches.filter((m) => !m.mac);
    const mac = shared.length ? undefined : matches[0]?.mac;
    // One indexed read: the device and the render of this name it owns.
    const found = mac ? await store.getPhoneFile(mac, file) : null;
    const device = found?.device ?? null;
    const match = device ? matches.find((x) => x.mac && x.profile.id === device.vendor) : undefined;
    return { matches, shared, mac, device, match, render: found?.render ?? null };
  }

  return {
    async fetch(req: PhoneRequest): Promise<PhoneAnswer> {
      const { matches, shared, mac, device, match, render } = await resolve(req.file);
      if (mac && !device) {
        const gate = access.unknown(req, 'unknown-mac');
        if (!gate.granted && gate.refusal.status === 429) return gate.refusal;
        if (!req.head) await detect(matches, mac, req);
        return NOT_FOUND;
      }
      if (device) {
        if (!match || device.lines.length === 0) return NOT_FOUND;
        return fetchDeviceFile(match, device, req, render);
      }
      if (shared.length === 0) {
        const gate = access.unknown(req, 'unknown-file');
        return gate.granted ? NOT_FOUND : gate.refusal;
      }
      const gate = await access.shared(req);
      if (!gate.granted) return gate.refusal;
      for (const m of shared) {
        const render = await store.getRender(vendorOwner(m.profile.id), req.file);
        if (!render) continue;
        return answerText(m.profile, box.open(render.sealedBody, renderContext(render.owner, req.file)), req.ifNoneMatch);
      }
      return NOT_FOUND;
    },

    /** Stores an override or log a known device uploads, on the same terms as fetching its secrets. */
    async upload(req: PhoneClient & { file: string }, body: Buffer): Promise<PhoneAnswer | { status: 204 }> {
      const { mac, device, match } = await resolve(req.file);
      if (!mac || !device) {
        const gate = access.unknown(req, mac ? 'unknown-mac' : 'unknown-file');
        return gate.granted ? NOT_FOUND : gate.refusal;
      }
      if (match?.kind !== 'upload') return NOT_FOUND;
      const gate = await access.device(device, true, req);
      if (!gate.granted) return gate.refusal;
      const sealedBody = box.seal(body.toString('base64'), uploadContext(device.mac, req.file));
      await store.commit([
        { op: 'put-upload', upload: { mac: device.mac, file: req.file, receivedAt: clock().toISOString(), sealedBody } },
      ]);
      return { status: 204 };
    },
  };
}

export type PhoneRequests = ReturnType<typeof createPhoneRequests>;
