// Extensions: the SIP accounts that configs are rendered from, and the rules
// on their fields that hold whatever store or vendor is behind them.
import { isIP } from 'node:net';
import { siteOf } from './site-name.ts';

export const TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const DEFAULT_PORTS: Record<Transport, number> = { udp: 5060, tcp: 5060, tls: 5061 };

export interface SipServer {
  host: string;
  port: number;
  transport: Transport;
}

export interface OutboundProxy {
  host: string;
  port: number;
}

/** Media encryption: no SRTP, SRTP when the far end offers or takes it, or SRTP or no call. */
export const SRTP_MODES = ['off', 'optional', 'mandatory'] as const;
export type SrtpMode = (typeof SRTP_MODES)[number];

/**
 * What the admin chose for the media; a field left out follows the
 * transport, so only an explicit choice is stored and survives a change of
 * transport.
 */
export interface ExtensionMedia {
  srtp?: SrtpMode;
}

/** The extension as the store keeps it; the secret only ever sealed. */
export interface ExtensionRecord {
  number: string;
  displayName: string;
  authUsername: string;
  secretSealed: string;
  secretVersion: number;
  server: SipServer;
  outboundProxy: OutboundProxy | null;
  label: string | null;
  /** Absent on records written before media settings existed: everything follows the transport. */
  media?: ExtensionMedia;
  /**
   * Digest realms the registrar challenges with besides its host name (a
   * registrar that names its realm after the domain, say). Absent or empty:
   * only server.host.
   */
  realms?: string[];
  /**
   * The secret before the last change, still accepted by the registrar feed
   * until the rotation ends (domain/rotation.ts); absent or null when none.
   */
  rotation?: Rotation | null;
  /** The site the extension belongs to; absent on records from before sites: the default one. */
  site?: string;
  /** The registrar is the site's and follows it when the site's changes; absent or false: the admin's own. */
  serverFromSite?: boolean;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

export interface Rotation {
  previousSecretSealed: string;
  previousVersion: number;
  startedAt: string;
  /** The grace end: after it the previous secret is refused whatever else holds. */
  acceptedUntil: string;
  /**
   * Devices that had fetched the old secret, each with the configVersion
   * that first carries the new one: a fetch at or past it ends the wait.
   */
  devices: Record<string, number>;
}

/** A SIP user part that every vendor and every file name can carry. */
export const EXTENSION_NUMBER = /^[0-9A-Za-z._-]{1,32}$/;

/** RFC 3261 user-part characters, without escapes, which phones handle unevenly. */
export const AUTH_USERNAME = /^[0-9A-Za-z._~!$&'()*+,;=?/@-]{1,64}$/;

const HOST_LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOSTNAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);

export function isValidHost(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

/**
 * Free text shown on a handset or softphone. Any Unicode letter is fine;
 * control characters are not, because no line-based config can carry them.
 * What only one vendor cannot carry is that vendor's profile's text rules.
 */
export function textProblem(text: string, max: number): string | null {
  if (text.length === 0 || text.length > max) return `must be 1 to ${max} characters long`;
  if (/[\p{Cc}\p{Cs}\u2028\u2029\ufffe\uffff]/u.test(text)) return 'may not contain control characters';
  // Line-based configs trim values, so the spaces would be lost on the phone.
  if (/^\s|\s$/u.test(text)) return 'may not start or end with whitespace';
  return null;
}

export function defaultPort(transport: Transport): number {
  return DEFAULT_PORTS[transport];
}

/** A registrar as an admin names it: UDP unless told, on the transport's default port unless told. */
export function resolveServer(s: { host: string; port?: number; transport?: Transport }): SipServer {
  const transport = s.transport ?? 'udp';
  return { host: s.host, port: s.port ?? defaultPort(transport), transport };
}

/** A TLS extension encrypts its media too unless the admin says otherwise; plain SIP does not. */
export function defaultSrtp(transport: Transport): SrtpMode {
  return transport === 'tls' ? 'mandatory' : 'off';
}

/** The SRTP mode in force: the admin's choice, else the transport's default. */
export function effectiveSrtp(ext: Pick<ExtensionRecord, 'media' | 'server'>): SrtpMode {
  return ext.media?.srtp ?? defaultSrtp(ext.server.transport);
}

/** Allowed but worth a second look: signalling encrypted, audio in clear. */
export function extensionWarnings(ext: Pick<ExtensionRecord, 'media' | 'server'>): string[] {
  return ext.server.transport === 'tls' && effectiveSrtp(ext) === 'off' ? ['tls-without-srtp'] : [];
}

/**
 * The store guard (WriteOp 'guard') of an extension's references: deleting
 * the extension and writing a device line or a link that points at it each
 * take it, so the two cannot both pass their checks on the same state (a
 * store without transactions would otherwise keep a line to nothing).
 */
export const extensionGuard = (number: string) => `extension:${number}`;

/** The realms this extension's credentials may answer: its registrar's host and the ones the admin named, lower-cased. */
export function acceptedRealms(ext: Pick<ExtensionRecord, 'server' | 'realms'>): string[] {
  return [...new Set([ext.server.host, ...(ext.realms ?? [])].map((r) => r.toLowerCase()))];
}

/** The extension as the API shows it: everything but the secret. */
export function publicExtension(ext: ExtensionRecord) {
  return {
    number: ext.number,
    displayName: ext.displayName,
    authUsername: ext.authUsername,
    secretVersion: ext.secretVersion,
    server: ext.server,
    outboundProxy: ext.outboundProxy,
    label: ext.label,
    media: { srtp: effectiveSrtp(ext), explicit: ext.media?.srtp !== undefined },
    realms: ext.realms ?? [],
    site: siteOf(ext),
    serverFromSite: ext.serverFromSite === true,
    createdAt: ext.createdAt,
    updatedAt: ext.updatedAt,
    warnings: extensionWarnings(ext),
  };
}
