// The client side of SIP Digest (RFC 3261 §22, RFC 8760): the Authorization
// or Proxy-Authorization a NOTIFY carries when its first try was challenged
// with 401 or 407. MD5 and SHA-256. A challenge is a request to prove the
// line's secret to whoever sent it, so it is answered only for a realm that
// is the line's registrar's, and only with qop=auth: an answer without qop
// (RFC 2069) over a nonce the challenger chose is a dictionary attack's
// input, offline.
import { createHash, randomBytes } from 'node:crypto';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export interface DigestCredentials {
  user: string;
  password: string;
  /** The realms this secret may be proved to (lower-case): the line's registrar host and the extension's realms. */
  realms: readonly string[];
}

/** The challenge's parameters, names lower-cased; null unless it is a Digest challenge. */
export function parseChallenge(header: string): Record<string, string> | null {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return null;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  for (let p = re.exec(m[1]!); p; p = re.exec(m[1]!)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return params.nonce !== undefined && params.realm !== undefined ? params : null;
}

const quote = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;

/** The header value answering `challenge` for this request, or null when it must not be answered (foreign realm, no qop=auth, unknown algorithm). */
export function answerChallenge(
  challenge: string,
  creds: DigestCredentials,
  request: { method: string; uri: string },
  cnonce: string = randomBytes(8).toString('hex'),
): string | null {
  const c = parseChallenge(challenge);
  if (!c) return null;
  if (!creds.realms.includes(c.realm!.toLowerCase())) return null;
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const hash = HASHES[algorithm];
  if (!hash) return null;
  const h = (text: string) => createHash(hash).update(text, 'utf8').digest('hex');
  const qops = (c.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  if (!qops.includes('auth')) return null;
  const qop = 'auth';
  const ha1 = h(`${creds.user}:${c.realm}:${creds.password}`);
  const ha2 = h(`${request.method}:${request.uri}`);
  const nc = '00000001';
  const response = h(`${ha1}:${c.nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
  const parts = [
    `username=${quote(creds.user)}`,
    `realm=${quote(c.realm!)}`,
    `nonce=${quote(c.nonce!)}`,
    `uri=${quote(request.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${algorithm}`,
  ];
  parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
