// The client side of SIP Digest (RFC 3261 §22, RFC 8760): the Authorization
// or Proxy-Authorization a NOTIFY carries when its first try was challenged
// with 401 or 407. MD5 and SHA-256, qop=auth when offered.
import { createHash, randomBytes } from 'node:crypto';

const HASHES: Record<string, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export interface DigestCredentials {
  user: string;
  password: string;
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

/** The header value answering `challenge` for this request, or null when we cannot (unknown algorithm). */
export function answerChallenge(
  challenge: string,
  creds: DigestCredentials,
  request: { method: string; uri: string },
  cnonce: string = randomBytes(8).toString('hex'),
): string | null {
  const c = parseChallenge(challenge);
  if (!c) return null;
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const hash = HASHES[algorithm];
  if (!hash) return null;
  const h = (text: string) => createHash(hash).update(text, 'utf8').digest('hex');
  const qops = (c.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  const qop = qops.includes('auth') ? 'auth' : null;
  const ha1 = h(`${creds.user}:${c.realm}:${creds.password}`);
  const ha2 = h(`${request.method}:${request.uri}`);
  const nc = '00000001';
  const response = qop ? h(`${ha1}:${c.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${c.nonce}:${ha2}`);
  const parts = [
    `username=${quote(creds.user)}`,
    `realm=${quote(c.realm!)}`,
    `nonce=${quote(c.nonce!)}`,
    `uri=${quote(request.uri)}`,
    `response=${quote(response)}`,
    `algorithm=${algorithm}`,
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}
