// Console accounts and their sessions. A person signs in with a username and
// a password (kept only as a memory-hard scrypt hash) and then carries a
// random session id in a cookie; the store keeps only that id's SHA-256.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Role } from './token.ts';

export interface UserRecord {
  username: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

export interface SessionRecord {
  /** SHA-256 of the cookie's session id. */
  idHash: string;
  username: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end, whatever the activity. */
  expiresAt: string;
}

export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const USERNAME_RULE = 'must be 1 to 32 characters of a-z 0-9 . _ - starting with a letter or digit';
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** Why the text is not an acceptable password, or null. Never quotes it. */
export function passwordProblem(text: string): string | null {
  if (text.length < PASSWORD_MIN || text.length > PASSWORD_MAX) {
    return `must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long`;
  }
  return null;
}

/** The actor name audit events carry for a person. */
export const userActorName = (username: string) => `user:${username}`;

export const publicUser = (u: UserRecord) => ({ username: u.username, role: u.role, createdAt: u.createdAt, updatedAt: u.updatedAt });

// 2^15 x 8 x 128 bytes = 32 MiB per hash: OWASP's scrypt floor is 2^17 x 8 at
// 1 thread; we trade a little of it for sign-ins that stay under a few
// hundred milliseconds on a small shared host.
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, o: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...o, maxmem: 256 * o.N * o.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$key`, base64url parts, so the parameters can grow later. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const got = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A hash no password matches, verified against for unknown users so both answers take as long. */
export const DUMMY_HASH = `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_BYTES).toString('base64url')}`;

/** 256 bits from the CSPRNG for the cookie. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}
