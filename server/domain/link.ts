// Softphone provisioning links: a one-time (or few-times) URL that hands a
// softphone its account. The token itself is never stored, only its hash.
import { randomBytes } from 'node:crypto';

export interface LinkRecord {
  id: string;
  tokenHash: string;
  extension: string;
  app: string;
  createdAt: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt: string | null;
  lastUsedAt: string | null;
  /** The extension's secretVersion that the last download carried. */
  lastSecretVersion: number | null;
  createdBy: string;
  /** Set on a one-use app address issued from the landing page of the link with this id. */
  parentId?: string | null;
}

export type LinkState = 'active' | 'expired' | 'used-up' | 'revoked';

/** How long the one-use app address a landing page hands out stays valid. */
export const APP_URL_MINUTES = 10;

/** 192 bits from the CSPRNG, URL-safe. */
export function newLinkToken(): string {
  return randomBytes(24).toString('base64url');
}

export function linkState(link: LinkRecord, now: Date): LinkState {
  if (link.revokedAt) return 'revoked';
  if (Date.parse(link.expiresAt) <= now.getTime()) return 'expired';
  if (link.uses >= link.maxUses) return 'used-up';
  return 'active';
}

/** Whether the last download carried the extension's current secret, as for devices. */
export function linkSyncStatus(link: LinkRecord, secretVersion: number): 'never' | 'pending' | 'synced' {
  if (link.lastSecretVersion === null) return 'never';
  return link.lastSecretVersion < secretVersion ? 'pending' : 'synced';
}

export function publicLink(link: LinkRecord, secretVersion: number, now: Date) {
  return {
    id: link.id,
    extension: link.extension,
    app: link.app,
    createdAt: link.createdAt,
    createdBy: link.createdBy,
    expiresAt: link.expiresAt,
    maxUses: link.maxUses,
    uses: link.uses,
    revokedAt: link.revokedAt,
    lastUsedAt: link.lastUsedAt,
    state: linkState(link, now),
    status: linkSyncStatus(link, secretVersion),
  };
}
