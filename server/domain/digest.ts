// HTTP Digest (RFC 7616, qop=auth, MD5 and SHA-256) and Basic credentials for
// phones. Nonces are stateless: a timestamp and an HMAC of it under a key
// every instance shares, so any instance can check a nonce another issued.
// What must be remembered — the highest nonce-count seen per nonce, to refuse
// a replayed request — is kept, bounded, by the process that issued the nonce
// (its id is signed into the nonce); server/cluster/ asks that process when
// the answer lands on another worker.
import { createHash, createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export const REALM = 'provisioning';
export type DigestAlgorithm = 'MD5' | 'SHA-256';
const HASHES: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

export type Presented =
  | { scheme: 'none' }
  | { scheme: 'basic'; user: string; password: string }
  | { scheme: 'digest'; user: string; params: Record<string, string> }
  | { scheme: 'malformed' };

/** Splits an Authorization header into what the client presented. */
export function parseAuthorization(header: string | undefined): Presented {
  if (!header) return { scheme: 'none' };
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const rest = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { scheme: 'malformed' };
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === 'digest') {
    const params: Record<string, string> = {};
    const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
    for (let m = re.exec(rest); m; m = re.exec(rest)) {
      params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    }
    if (!params.username) return { scheme: 'malformed' };
    return { scheme: 'digest', user: params.username, params };
  }
  return { scheme: 'malformed' };
}

/**
 * Constant time for equal lengths. Only the length can show, and what is
 * compared has a length that tells nothing: generated passwords and hex
 * digests have fixed lengths, user names are MACs.
 */
export function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const h = (alg: DigestAlgorithm, text: string) => createHash(HASHES[alg]).update(text, 'utf8').digest('hex');

export function digestResponse(
  alg: DigestAlgorithm,
  p: { user: string; password: string; method: string; uri: string; nonce: string; nc: string; cnonce: string },
): string {
  const ha1 = h(alg, `${p.user}:${REALM}:${p.password}`);
  const ha2 = h(alg, `${p.method}:${p.uri}`);
  return h(alg, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
}

export interface NonceBook {
  issue(): string;
  /** 'fresh', 'stale' (ours but expired: the client should retry with a new one) or 'forged'. */
  check(nonce: string): 'fresh' | 'stale' | 'forged';
  /**
   * True the first time a (nonce, nc) is seen with nc above every earlier one;
   * false for a replay. A book shared between processes answers asynchronously.
   */
  accept(nonce: string, nc: number): boolean | Promise<boolean>;
}

/** The issuer a nonce names (0 when none), read only after check() has proved the nonce ours. */
export function nonceIssuer(nonce: string): number {
  const raw = Buffer.from(nonce, 'base64url');
  return raw.length === 32 ? raw.readUInt16BE(8) : 0;
}

/**
 * `issuer` (1-65535) is written into every nonce, under the signature, so
 * that whichever process checks the answer knows whose record of its
 * nonce-counts is the one that counts.
 */
export function createNonceBook(key: Buffer, clock: () => Date, ttlSeconds: number, remember = 100_000, issuer = 0): NonceBook {
  const highest = new Map<string, number>();
  const sign = (stamp: Buffer) => createHmac('sha256', key).update(stamp).digest().subarray(0, 16);
  // Random bytes drawn a page at a time: one call to the system's generator
  // per 512 challenges instead of one per challenge, a tenth of a 401's cost.
  const pool = Buffer.alloc(4096);
  let used = pool.length;
  return {
    // Time and 8 random bytes, signed: unique per challenge even within one
    // millisecond, so two phones challenged at once never share a nonce-count.
    issue() {
      const stamp = Buffer.alloc(16);
      stamp.writeBigUInt64BE(BigInt(clock().getTime()));
      if (used + 8 > pool.length) {
        randomFillSync(pool);
        used = 0;
      }
      pool.copy(stamp, 8, used, (used += 8));
      if (issuer) stamp.writeUInt16BE(issuer, 8);
      return Buffer.concat([stamp, sign(stamp)]).toString('base64url');
    },
    check(nonce) {
      const raw = Buffer.from(nonce, 'base64url');
      if (raw.length !== 32 || raw.toString('base64url') !== nonce) return 'forged';
      const stamp = raw.subarray(0, 16);
      if (!timingSafeEqual(raw.subarray(16), sign(stamp))) return 'forged';
      const age = clock().getTime() - Number(stamp.readBigUInt64BE(0));
      return age >= 0 && age <= ttlSeconds * 1000 ? 'fresh' : 'stale';
    },
    accept(nonce, nc) {
      const last = highest.get(nonce) ?? 0;
      if (nc <= last) return false;
      highest.delete(nonce);
      highest.set(nonce, nc);
      // Oldest first in a Map: forget the longest-unused nonces past the bound.
      if (highest.size > remember) highest.delete(highest.keys().next().value!);
      return true;
    },
  };
}

export function challenges(nonce: string, stale: boolean, allowBasic: boolean): string[] {
  const common = `realm="${REALM}", qop="auth", nonce="${nonce}"${stale ? ', stale=true' : ''}`;
  const out = [`Digest ${common}, algorithm=SHA-256`, `Digest ${common}, algorithm=MD5`];
  if (allowBasic) out.push(`Basic realm="${REALM}", charset="UTF-8"`);
  return out;
}

export type Verdict = 'valid' | 'invalid' | 'stale' | 'none';

/** Checks presented credentials against a device's user and password. */
export function verify(
  presented: Presented,
  expected: { user: string; password: string },
  request: { method: string; uri: string; basicAllowed: boolean },
  nonces: NonceBook,
): Verdict | Promise<Verdict> {
  if (presented.scheme === 'none') return 'none';
  if (presented.scheme === 'malformed') return 'invalid';
  if (presented.scheme === 'basic') {
    if (!request.basicAllowed) return 'invalid';
    const ok = equalText(presented.user, expected.user) && equalText(presented.password, expected.password);
    return ok ? 'valid' : 'invalid';
  }
  const p = presented.params;
  const alg = (p.algorithm ?? 'MD5').toUpperCase() as DigestAlgorithm;
  if (!(alg in HASHES) || p.qop !== 'auth' || !p.nonce || !p.nc || !p.cnonce || !p.response || !p.uri) return 'invalid';
  if (p.uri !== request.uri || p.realm !== REALM || !/^[0-9a-fA-F]{8}$/.test(p.nc)) return 'invalid';
  const freshness = nonces.check(p.nonce);
  if (freshness === 'forged') return 'invalid';
  const wanted = digestResponse(alg, { ...expected, method: request.method, uri: p.uri, nonce: p.nonce, nc: p.nc, cnonce: p.cnonce });
  if (!equalText(presented.user, expected.user) || !equalText(p.response.toLowerCase(), wanted)) return 'invalid';
  // Right password on an old nonce: tell the client to retry, not that it failed.
  if (freshness === 'stale') return 'stale';
  const accepted = nonces.accept(p.nonce, parseInt(p.nc, 16));
  if (typeof accepted === 'boolean') return accepted ? 'valid' : 'invalid';
  return accepted.then((ok) => (ok ? 'valid' : 'invalid'));
}
