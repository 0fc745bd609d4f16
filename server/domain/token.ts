// API tokens: bearer secrets for the admin API, kept only as SHA-256.
import { createHash, randomBytes } from 'node:crypto';

export const ROLES = ['admin', 'viewer', 'pbx'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  hash: string;
  createdAt: string;
  /**
   * A pbx token's registrars: the Digest realms (lower-case) it may ask the
   * feed about and report registrations in. Absent on other roles, and on a
   * pbx token made before tokens were bound to realms, which then opens none.
   */
  realms?: string[];
}

export interface Actor {
  name: string;
  role: Role;
  tokenId: string | null;
  /** A pbx token's realms (see TokenRecord). */
  realms?: readonly string[];
}

/** 256 bits from the CSPRNG; the prefix lets secret scanners recognise a leaked token. */
export function newToken(): string {
  return `prov_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The store guard (WriteOp 'guard') every change takes that could leave the
 * server with no admin way in: demoting or deleting an admin account,
 * deleting an admin token. Two such changes at once cannot both pass their
 * "is another admin left?" check on the same state.
 */
export const ADMINS_GUARD = 'admins';

/** admin ⊃ viewer; pbx stands apart: it reads the registrar feed and nothing else. */
export function roleAllows(have: Role, need: Role): boolean {
  if (have === 'pbx' || need === 'pbx') return have === need;
  return have === 'admin' || need === 'viewer';
}
