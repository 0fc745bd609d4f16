// Room: provisioning/phones/ owns the phone's side: answering fetches and uploads,
// who may have what (claims, Digest, the scan guard), fetch records, learnt
// firmware and scrubbing uploaded overrides. It may call domain/, render/,
// storage/, provisioning/change/ and audit/; nothing here renders on a fetch.
//
// What a desk phone gets when it asks for a file or uploads one: the device
// by the MAC in the file name, its vendor by the device record, the stored
// bytes (a fetch never renders), and a record of each fetch of the
// credential-bearing file so the admin sees pending → synced. A claim-window
// delivery uses the window up in the same commit that audits it; an upload is
// authenticated (and its size checked) before its body is read, and audited.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { storedUserAgent, type DeviceRecord } from '../../domain/device.ts';
import { InvalidInput } from '../../domain/errors.ts';
import { renderContext, uploadContext } from '../../domain/seal-contexts.ts';
import { sealIdentity, type SecretBox } from '../../domain/secret-box.ts';
import { createWeighedMap } from '../../domain/weighed-map.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import type { FileMatch } from '../../render/file-names.ts';
import { encodeBody } from '../../render/body-encoding.ts';
import { findModel, linesFor, type VendorProfile } from '../../render/profiles.ts';
import { vendorOwner } from '../../render/renderer.ts';
import { parseUserAgent } from '../../render/user-agent.ts';
import { ClaimUnavailable, type RenderRecord, type Store, type WriteOp } from '../../storage/store.ts';
import type { Learnt } from './firmware-learning.ts';
import type { RunChange } from '../change/change-runner.ts';
import type { EventBus } from '../change/events.ts';
import { createAuditCap } from './audit-cap.ts';
import { createInbox } from './inbox.ts';
import { logProblem, overrideProblem } from './upload-shape.ts';
import { stripAttributes } from './override-scrub.ts';
import type { PhoneAccess, PhoneClient, Refusal } from './phone-access.ts';

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
  /** How many unassigned devices are kept; those seen least often, then least recently, go first. */
  maxUnassigned: number;
  /** Where a known phone's new firmware goes, to be stored with others' (firmware-learning.ts). */
  learnFirmware: (mac: string, learnt: Learnt) => void;
}

const NOT_FOUND: PhoneAnswer = { status: 404 };
/** Files whose served bytes are kept opened, at most this many and this many bytes in all. */
const SERVED_MAX = 20_000;
const SERVED_MAX_BYTES = 48 * 1024 * 1024;
/** Upload events audited per device and kind within an hour; later ones are stored but not audited. */
export const UPLOAD_AUDITS_PER_HOUR = 10;
export type UploadAnswer = PhoneAnswer | { status: 204 } | { status: 413 } | { status: 422 };

/** The upload as the route has it: its declared length, and a reader called only once the upload is allowed. */
export interface UploadBody {
  /** Content-Length, when the client sent one. */
  length: number | undefined;
  maxBytes: number;
  read: () => Promise<Buffer>;
}

/**
 * An override as it is kept: without the credentials the profile names, so a
 * password typed on the handset never reaches the phone again through it.
 * One that cannot be read as XML cannot be scrubbed, so it is not kept.
 */
function scrubbed(profile: VendorProfile, bytes: Buffer): Buffer {
  if (profile.overrideCredentialKeys.length === 0) return bytes;
  const stripped = stripAttributes(bytes.toString('utf8'), profile.overrideCredentialKeys.map((k) => new RegExp(k)));
  if (stripped === null) throw new InvalidInput('an override must be XML', 'malformed-override');
  return stripped.removed > 0 ? Buffer.from(stripped.xml, 'utf8') : bytes;
}

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

export function createPhoneRequests({ store, box, catalog, clock, runChange, log, access, events, maxUnassigned, learnFirmware }: PhoneDeps) {
  const inbox = createInbox({ store, box, clock, runChange, log, maxUnassigned });
  // The opened, encoded bytes and ETag of each file last served, reused while
  // its sealed value is the same (told by its identity: a seal takes a fresh
  // nonce, so a new render never matches an old entry). One entry per
  // file (a device's, or one every phone of a vendor shares), bounded by
  // count and bytes, oldest out first. This is the only copy of an opened
  // body a worker keeps; of the sealed value only its identity is kept.
  type Served = { sealed: string; profile: VendorProfile; body: Buffer; contentType: string; etag: string };
  const served = createWeighedMap<Served>(SERVED_MAX, SERVED_MAX_BYTES, (_key, e) => e.body.length + e.sealed.length);
  function servedBytes(profile: VendorProfile, render: RenderRecord): Served {
    const key = `${render.owner}/${render.file}`;
    const hit = served.get(key);
    const sealed = sealIdentity(render.sealedBody);
    if (hit && hit.sealed === sealed && hit.profile === profile) return hit;
    const { bytes, contentType } = encodeBody(profile, box.open(render.sealedBody, renderContext(render.owner, render.file)));
    const entry = { sealed, profile, body: bytes, contentType, etag: etagOf(bytes) };
    served.set(key, entry);
    return entry;
  }

  function answer(body: Buffer, contentType: string, etag: string, ifNoneMatch: string | undefined): PhoneAnswer {
    return { status: matchesEtag(ifNoneMatch, etag) ? 304 : 200, body, contentType, etag };
  }

  /**
   * What a fetch teaches about a known device: its firmware always, its model
   * when the admin left it empty (and the model has room for its lines).
   * A model is written through the change runner at once, so the file served
   * now already follows it; firmware alone, which no file is made from, is
   * queued and stored with other phones' within a second. Only when
   * something changed. Returns the device as it now is.
   */
  async function learn(profile: VendorProfile, device: DeviceRecord, req: PhoneRequest): Promise<DeviceRecord> {
    const agent = parseUserAgent(profile, req.userAgent);
    if (!agent || (agent.mac && agent.mac !== device.mac)) return device;
    const wants = (d: DeviceRecord) => {
      const known = findModel(profile, agent.model) ?? null;
      const fits = known !== null && d.lines.every((l) => l.line <= linesFor(profile, known));
      return { model: d.model ?? (fits ? known : null), firmware: agent.firmware || d.firmware || null };
    };
    const first = wants(device);
    if (first.model === device.model && first.firmware === (device.firmware ?? null)) return device;
    if (first.model === device.model && first.firmware !== null) {
      learnFirmware(device.mac, { firmware: first.firmware, vendor: profile.id, ip: req.ip, at: clock().toISOString() });
      return { ...device, firmware: first.firmware };
    }
    await runChange(async () => {
      const fresh = await store.getDevice(device.mac);
      if (!fresh || fresh.vendor !== profile.id) return { ops: [], result: undefined };
      const { model, firmware } = wants(fresh);
      if (model === fresh.model && firmware === (fresh.firmware ?? null)) return { ops: [], result: undefined };
      const at = clock().toISOString();
      const details = { model, firmware, ip: req.ip };
      return {
        ops: [
          { op: 'update-device', record: { ...fresh, model, firmware, updatedAt: at, rev: fresh.rev + 1 }, expectRev: fresh.rev },
          { op: 'audit', event: { at, actor: `phone:${device.mac}`, actorTokenId: null, action: 'device.learnt', target: `device:${device.mac}`, details } },
        ],
        result: undefined,
      };
    });
    return (await store.getDevice(device.mac)) ?? device;
  }

  // A phone uploads its overrides and logs now and then; whoever holds its credentials may do it in a loop.
  const uploadAudits = createAuditCap({ max: UPLOAD_AUDITS_PER_HOUR, windowMs: 3_600_000, clock });

  /**
   * The one moment a secret leaves without proof of who asked: it uses the
   * window up and is on record, in one commit. False when another request
   * took the window first.
   */
  async function useClaim(device: DeviceRecord, req: PhoneRequest, version: number | null): Promise<boolean> {
    const at = clock().toISOString();
    const details = { file: req.file, ip: req.ip, userAgent: storedUserAgent(req.userAgent), version };
    const event = { at, actor: `phone:${device.mac}`, actorTokenId: null, action: 'device.claimed', target: `device:${device.mac}`, details };
    try {
      await runChange(async () => ({ ops: [{ op: 'use-claim', mac: device.mac, at }, { op: 'audit', event }], result: undefined }));
      return true;
    } catch (err) {
      if (err instanceof ClaimUnavailable) return false;
      throw err;
    }
  }

  async function fetchDeviceFile(m: FileMatch, known: DeviceRecord, req: PhoneRequest, stored: RenderRecord | null): Promise<PhoneAnswer> {
    const need = m.kind === 'upload' ? 'credentials' : m.spec.credentials ? 'claimable' : 'open';
    const gate = await access.device(known, need, req);
    if (!gate.granted) return gate.refusal;
    // Only a phone that proved who it is (or was let in by its claim) may change its record.
    const device = req.head || gate.via === 'open' ? known : await learn(m.profile, known, req);
    if (m.kind === 'upload') {
      if (!m.spec.override) return NOT_FOUND;
      const upload = await store.getUpload(device.mac, m.stored);
      if (!upload) return NOT_FOUND;
      const body = Buffer.from(box.open(upload.sealedBody, uploadContext(device.mac, m.stored)), 'base64');
      return answer(body, m.profile.contentType, etagOf(body), req.ifNoneMatch);
    }
    // The version is read before the bytes: if a change lands in between, the
    // fetch is recorded as older than it is (pending), never as newer.
    // Both came from one read, so they are consistent with each other; a
    // device this fetch taught its model has just been re-rendered.
    const version = device.configVersion;
    const render = device === known ? stored : await store.getRender(device.mac, m.stored);
    if (!render) return NOT_FOUND;
    const served = servedBytes(m.profile, render);
    if (gate.via === 'claim' && !(await useClaim(device, req, version))) {
      const refused = access.challenge(req);
      return refused.granted ? NOT_FOUND : refused.refusal;
    }
    if (m.spec.credentials && !req.head) {
      const at = clock().toISOString();
      const credential = gate.via === 'credentials' ? gate.credential : 'claim';
      await store.recordFetch(device.mac, { version, at, ip: req.ip, userAgent: storedUserAgent(req.userAgent), file: req.file, credential });
      events.publish({ type: 'fetched', mac: device.mac, version, at, previousVersion: device.fetchedVersion });
    }
    return answer(served.body, served.contentType, served.etag, req.ifNoneMatch);
  }

  /** The known device a /prov name is about, with the vendor's matching entry; null when there is none. */
  async function resolve(file: string) {
    const matches = catalog.current().matchFile(file);
    // A shared file's literal name wins over a {mac} pattern it also fits
    // (Polycom's 000000000000.cfg is not the device 000000000000).
    const shared = matches.filter((m) => !m.mac);
    const mac = shared.length ? undefined : matches[0]?.mac;
    // One indexed read: the device and the render of this name it owns.
    const found = mac ? await store.getPhoneFile(mac, matches[0]!.stored) : null;
    const device = found?.device ?? null;
    const match = device ? matches.find((x) => x.mac && x.profile.id === device.vendor) : undefined;
    // Two vendors' names can fit one request yet be kept under different names (one's alias
    // is the other's own name): the device's vendor decides, with one more read.
    const render = match && match.stored !== matches[0]!.stored ? await store.getRender(match.mac!, match.stored) : (found?.render ?? null);
    return { matches, shared, mac, device, match, render };
  }

  return {
    async fetch(req: PhoneRequest): Promise<PhoneAnswer> {
      const { matches, shared, mac, device, match, render } = await resolve(req.file);
      if (mac && !device) {
        const gate = access.unknown(req, 'unknown-mac', mac);
        if (!gate.granted && gate.refusal.status === 429) return gate.refusal;
        if (!req.head) await inbox.detect(matches, mac, req);
        return NOT_FOUND;
      }
      if (device) {
        if (!match) return NOT_FOUND;
        if (device.lines.length === 0) {
          // Asking for many inbox MACs is scanning, like asking for unknown ones.
          const gate = access.unknown(req, 'inbox-mac', device.mac);
          if (!gate.granted && gate.refusal.status === 429) return gate.refusal;
          if (!req.head) await inbox.seenAgain(match.profile, device, req);
          return NOT_FOUND;
        }
        return fetchDeviceFile(match, device, req, render);
      }
      if (shared.length === 0) {
        const gate = access.unknown(req, 'unknown-file', req.file);
        return gate.granted ? NOT_FOUND : gate.refusal;
      }
      const gate = await access.shared(req);
      if (!gate.granted) return gate.refusal;
      for (const m of shared) {
        const render = await store.getRender(vendorOwner(m.profile.id), m.stored);
        if (!render) continue;
        const file = servedBytes(m.profile, render);
        return answer(file.body, file.contentType, file.etag, req.ifNoneMatch);
      }
      return NOT_FOUND;
    },

    /**
     * Stores an override or log a known device uploads. Only with the
     * device's credentials (never through a claim window), checked with the
     * declared size before a byte of the body is read.
     */
    async upload(req: PhoneClient & { file: string }, body: UploadBody): Promise<UploadAnswer> {
      const { mac, device, match } = await resolve(req.file);
      if (!mac || !device) {
        const gate = access.unknown(req, mac ? 'unknown-mac' : 'unknown-file', mac ?? req.file);
        return gate.granted ? NOT_FOUND : gate.refusal;
      }
      if (match?.kind !== 'upload') return NOT_FOUND;
      const gate = await access.device(device, 'credentials', req);
      if (!gate.granted) return gate.refusal;
      if (body.length !== undefined && body.length > body.maxBytes) return { status: 413 };
      const sent = await body.read();
      const problem = match.spec.override ? overrideProblem(sent, match.profile.overrideXml) : logProblem(sent);
      if (problem) {
        // On record, but never a row per request: whoever holds the phone's credentials may repeat it.
        const at = clock().toISOString();
        const details = { file: req.file, size: sent.length, reason: problem, ip: req.ip };
        const event = { at, actor: `phone:${device.mac}`, actorTokenId: null, action: 'device.upload-refused', target: `device:${device.mac}`, details };
        if (uploadAudits.allow(`${device.mac}/device.upload-refused`)) await runChange(async () => ({ ops: [{ op: 'audit', event }], result: undefined }));
        return { status: 422 };
      }
      const bytes = match.spec.override ? scrubbed(match.profile, sent) : sent;
      const sealedBody = box.seal(bytes.toString('base64'), uploadContext(device.mac, match.stored));
      const at = clock().toISOString();
      const details = { file: req.file, size: sent.length, sha256: createHash('sha256').update(sent).digest('hex'), ip: req.ip };
      const action = match.spec.override ? 'device.override-uploaded' : 'device.log-uploaded';
      const event = { at, actor: `phone:${device.mac}`, actorTokenId: null, action, target: `device:${device.mac}`, details };
      const audit: WriteOp[] = uploadAudits.allow(`${device.mac}/${action}`) ? [{ op: 'audit', event }] : [];
      await runChange(async () => ({
        ops: [{ op: 'put-upload', upload: { mac: device.mac, file: match.stored, receivedAt: at, sealedBody } }, ...audit],
        result: undefined,
      }));
      return { status: 204 };
    },
  };
}

export type PhoneRequests = ReturnType<typeof createPhoneRequests>;
