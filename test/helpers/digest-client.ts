// The client side of HTTP Digest (RFC 7616, qop=auth, MD5 and SHA-256),
// written from the RFC and independent of the server's own digest code, so a
// test can answer a challenge itself: the same answer twice, a higher nc on
// the same nonce, or an answer to a nonce that has since expired.
import { createHash, randomBytes } from 'node:crypto';
import type { PhoneCredentials } from './phone.ts';

export type Algorithm = 'MD5' | 'SHA-256';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Reads every challenge out of one or more WWW-Authenticate values (RFC 7235
 * §4.1), including several joined into one line with commas, as fetch does.
 */
export function parseChallenges(values: string | string[] | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const value of [values ?? []].flat()) {
    const s = value;
    let i = 0;
    const skip = () => {
      while (i < s.length && /[\s,]/.test(s[i]!)) i++;
    };
    const token = () => {
      const m = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/.exec(s.slice(i));
      if (!m) throw new Error(`bad WWW-Authenticate at ${i}: ${s}`);
      i += m[0].length;
      return m[0];
    };
    for (skip(); i < s.length; skip()) {
      const start = i;
      const name = token();
      while (s[i] === ' ') i++;
      if (s[i] === '=' && out.length > 0) {
        // name=value (a token68 like "abc==" is not used by Digest or Basic).
        i++;
        while (s[i] === ' ') i++;
        let v = '';
        if (s[i] === '"') {
          for (i++; i < s.length && s[i] !== '"'; i++) v += s[i] === '\\' ? s[++i] : s[i];
          i++;
        } else {
          v = token();
        }
        out[out.length - 1]!.params[name.toLowerCase()] = v;
      } else {
        if (start === i) throw new Error(`bad WWW-Authenticate: ${s}`);
        out.push({ scheme: name.toLowerCase(), params: {} });
      }
    }
  }
  return out;
}

export function digestChallenge(values: string | string[] | null | undefined, algorithm: Algorithm): Challenge | undefined {
  return parseChallenges(values).find(
    (c) => c.scheme === 'digest' && (c.params.algorithm ?? 'MD5').toUpperCase() === algorithm,
  );
}

const hash = (algorithm: Algorithm, text: string) =>
  createHash(algorithm === 'MD5' ? 'md5' : 'sha256').update(text, 'utf8').digest('hex');

export interface DigestAnswer {
  credentials: PhoneCredentials;
  method: string;
  /** The request-target as sent, e.g. `/prov/805ec0123456.cfg`. */
  uri: string;
  challenge: Challenge;
  /** The nonce-count, 1 for the first use of a nonce. */
  nc?: number;
  cnonce?: string;
}

/** The Authorization header answering a Digest challenge with qop=auth. */
export function digestAuthorization(a: DigestAnswer): string {
  const { realm, nonce, opaque } = a.challenge.params;
  if (realm === undefined || nonce === undefined) throw new Error('challenge without realm or nonce');
  const qops = (a.challenge.params.qop ?? '').split(',').map((q) => q.trim());
  if (!qops.includes('auth')) throw new Error(`challenge does not offer qop=auth: ${a.challenge.params.qop}`);
  const algorithm = (a.challenge.params.algorithm ?? 'MD5') as Algorithm;
  const nc = (a.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = a.cnonce ?? randomBytes(12).toString('hex');
  const ha1 = hash(algorithm, `${a.credentials.user}:${realm}:${a.credentials.password}`);
  const ha2 = hash(algorithm, `${a.method}:${a.uri}`);
  const response = hash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;
  const parts = [
    `username=${q(a.credentials.user)}`,
    `realm=${q(realm)}`,
    `uri=${q(a.uri)}`,
    `algorithm=${algorithm}`,
    `nonce=${q(nonce)}`,
    `nc=${nc}`,
    `cnonce=${q(cnonce)}`,
    'qop=auth',
    `response=${q(response)}`,
  ];
  if (opaque !== undefined) parts.push(`opaque=${q(opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

export interface DigestFetchResult {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * A request with Digest the way a phone makes it: once without credentials,
 * then answering the challenge of the chosen algorithm. The first request
 * goes without init.headers, so that no User-Agent gets it served through an
 * open claim window instead of challenged.
 */
export async function fetchWithDigest(
  url: string,
  credentials: PhoneCredentials,
  init: { method?: string; headers?: Record<string, string>; body?: string; algorithm?: Algorithm } = {},
): Promise<DigestFetchResult> {
  const method = init.method ?? 'GET';
  const first = await fetch(url, { method, body: init.body });
  await first.arrayBuffer();
  if (first.status !== 401) throw new Error(`expected a challenge from ${url}, got ${first.status}`);
  const challenge = digestChallenge(first.headers.get('www-authenticate'), init.algorithm ?? 'SHA-256');
  if (!challenge) throw new Error(`no ${init.algorithm ?? 'SHA-256'} challenge: ${first.headers.get('www-authenticate')}`);
  const u = new URL(url);
  const authorization = digestAuthorization({ credentials, method, uri: u.pathname + u.search, challenge });
  const res = await fetch(url, { method, headers: { ...init.headers, authorization }, body: init.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
