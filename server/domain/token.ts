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
}

export interface Actor {
  name: string;
  role: Role;
  tokenId: string | null;
}

/** 256 bits from the CSPRNG; the prefix lets secret scanners recognise a leaked token. */
export function newToken(): string {
  return `prov_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** admin ⊃ viewer; pbx stands apart: it reads the registrar feed and nothing else. */
export function roleAllows(have: Role, need: Role): boolean {
  if (have === 'pbx' || need === 'pbx') return have === need;
  return have === 'admin' || need === 'viewer';
}
