// What the registrar reports of each REGISTER it answered, and the rule that
// turns those reports into a device line's state: the last step of the truth
// after pending → synced. A report is evidence of the registrar's, not an
// inference of ours: a line is `registered` only when the registrar said the
// phone's Digest matched the current secret.
import { parseMac } from './mac.ts';

export interface RegistrationRecord {
  /** The extension whose credentials the REGISTER used. */
  extension: string;
  /** The binding's Contact URI, as the registrar saw it: one record per (extension, contact). */
  contact: string;
  authUsername: string;
  realm: string;
  result: 'ok' | 'failed';
  /** The secret version whose HA1 matched (the feed names one per HA1); null when the registrar did not say. */
  secretVersion: number | null;
  userAgent: string | null;
  sourceIp: string | null;
  callId: string | null;
  /** When the registrar answered. */
  at: string;
  /** When the binding lapses: `at` plus its expiry; `at` itself for an unregistration (expires 0) or a failure. */
  expiresAt: string;
}

export const REGISTRATION_STATES = ['registered', 'old-secret', 'failed', 'expired', 'unknown'] as const;
export type RegistrationState = (typeof REGISTRATION_STATES)[number];

export interface LineRegistration {
  state: RegistrationState;
  secretVersion: number | null;
  at: string | null;
}

/** How long after fetching the new secret a phone may still register with the old one before it is flagged. */
export const OLD_SECRET_FLAG_MS = 5 * 60_000;

const live = (r: RegistrationRecord, now: Date) => Date.parse(r.expiresAt) > now.getTime();

/**
 * Which secret a successful registration used: the one it names, or, when
 * the registrar named none and no rotation is under way, the current one
 * (then it is the only secret the feed accepts). Null when it cannot be told.
 */
function versionOf(r: RegistrationRecord, current: number, rotating: boolean): number | null {
  if (r.secretVersion !== null) return r.secretVersion;
  return r.result === 'ok' && !rotating ? current : null;
}

/** A registration as an extension's view lists it. */
export function publicRegistration(r: RegistrationRecord, current: number, rotating: boolean) {
  const version = versionOf(r, current, rotating);
  return {
    contact: r.contact,
    userAgent: r.userAgent,
    sourceIp: r.sourceIp,
    result: r.result,
    secretVersion: version,
    current: r.result === 'ok' && version === current,
    at: r.at,
    expiresAt: r.expiresAt,
  };
}

/** The state a registration record gives a line. */
export function stateOf(r: RegistrationRecord, current: number, rotating: boolean, now: Date): LineRegistration {
  const version = versionOf(r, current, rotating);
  // A refused REGISTER binds nothing, so it has no lifetime to outlast.
  if (r.result === 'failed') return { state: 'failed', secretVersion: version, at: r.at };
  if (!live(r, now)) return { state: 'expired', secretVersion: version, at: r.at };
  if (version === null) return { state: 'unknown', secretVersion: null, at: r.at };
  return { state: version === current ? 'registered' : 'old-secret', secretVersion: version, at: r.at };
}

/** A line no report speaks of (yet), or one that cannot be told apart from its neighbours'. */
export const UNKNOWN_REGISTRATION: LineRegistration = { state: 'unknown', secretVersion: null, at: null };

/** The MAC a SIP User-Agent or Contact carries, in any notation (Grandstream, Cisco, Snom and Fanvil put it there). */
function macsIn(text: string | null): string[] {
  if (!text) return [];
  const found: string[] = [];
  for (const m of text.matchAll(/[0-9A-Fa-f]{2}(?:[:-]?[0-9A-Fa-f]{2}){5}/g)) {
    try {
      found.push(parseMac(m[0]));
    } catch {
      // Not a MAC after all.
    }
  }
  return found;
}

export interface LineDevice {
  mac: string;
  lastFetch: { ip: string } | null;
}

/**
 * The registrations that belong to one device's line on an extension.
 * - The only device on the extension: all of them.
 * - Several devices share it: those whose User-Agent or Contact names this
 *   device's MAC; failing that, those from the address this device last
 *   fetched from, when no other device on the extension fetched from there.
 * Anything else is left unmatched (the line shows `unknown`), never guessed.
 */
export function registrationsOfDevice(device: LineDevice, sharing: readonly LineDevice[], regs: readonly RegistrationRecord[]): RegistrationRecord[] {
  if (sharing.length <= 1) return [...regs];
  const named = regs.filter((r) => [...macsIn(r.userAgent), ...macsIn(r.contact)].includes(device.mac));
  if (named.length > 0) return named;
  const ip = device.lastFetch?.ip;
  if (!ip || sharing.some((d) => d.mac !== device.mac && d.lastFetch?.ip === ip)) return [];
  const taken = new Set(sharing.filter((d) => d.mac !== device.mac).flatMap((d) => regs.filter((r) => [...macsIn(r.userAgent), ...macsIn(r.contact)].includes(d.mac))));
  return regs.filter((r) => r.sourceIp === ip && !taken.has(r));
}

/** A line's state: what its newest report says. */
export function lineRegistration(regs: readonly RegistrationRecord[], current: number, rotating: boolean, now: Date): LineRegistration {
  const newest = [...regs].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))[0];
  return newest ? stateOf(newest, current, rotating, now) : UNKNOWN_REGISTRATION;
}

/** The contacts still registered with a secret before `current` (a rotation waits for them). */
export function contactsOnOldSecret(regs: readonly RegistrationRecord[], current: number, now: Date): string[] {
  return regs
    .filter((r) => live(r, now) && r.result === 'ok' && r.secretVersion !== null && r.secretVersion < current)
    .map((r) => r.contact)
    .sort();
}
