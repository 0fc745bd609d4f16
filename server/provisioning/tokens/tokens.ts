// Room: provisioning/tokens/ owns API tokens and the first admin token file. It may
// call domain/, storage/, provisioning/change/ and audit/.
//
// API tokens: issue, list, revoke and authenticate. A token's value exists
// only in the answer that creates it; the store keeps its SHA-256.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.ts';
import { ADMINS_GUARD, hashToken, newToken, type Actor, type Role, type TokenRecord } from '../../domain/token.ts';
import { readGuard, type Store } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';

export interface TokensDeps {
  store: Store;
  clock: () => Date;
  runChange: RunChange;
  /** PROV_ADMIN_TOKEN, accepted as an admin token without being stored. */
  envAdminToken: string | null;
}

export const ENV_ACTOR: Actor = { name: 'PROV_ADMIN_TOKEN', role: 'admin', tokenId: null };
export const SYSTEM_ACTOR: Actor = { name: 'system', role: 'admin', tokenId: null };

const publicToken = (t: TokenRecord) => ({ id: t.id, name: t.name, role: t.role, ...(t.role === 'pbx' ? { realms: t.realms ?? [] } : {}), createdAt: t.createdAt });

export type Tokens = ReturnType<typeof createTokens>;

export function createTokens({ store, clock, runChange, envAdminToken }: TokensDeps) {
  const envHash = envAdminToken ? Buffer.from(hashToken(envAdminToken), 'hex') : null;

  async function issue(actor: Actor, name: string, role: Role, realms?: string[]) {
    // A registrar's token opens its own realms only: one registrar's token must not yield credentials valid at another.
    if (role === 'pbx' && !realms?.length) {
      throw new InvalidInput('a pbx token needs realms: the registrar hosts (Digest realms) it serves', 'realms-required');
    }
    if (role !== 'pbx' && realms !== undefined) throw new InvalidInput('only a pbx token has realms', 'realms-not-allowed');
    const token = newToken();
    const at = clock().toISOString();
    const bound = role === 'pbx' ? { realms: [...new Set(realms!.map((r) => r.toLowerCase()))] } : {};
    const record: TokenRecord = { id: randomUUID(), name, role, hash: hashToken(token), createdAt: at, ...bound };
    await runChange(async () => ({
      ops: [
        { op: 'insert-token', record },
        auditOp(actor, at, 'token.created', `token:${record.id}`, { name, role, ...bound }),
      ],
      result: undefined,
    }));
    return { ...publicToken(record), token };
  }

  return {
    issue,

    async list() {
      return (await store.listTokens()).map(publicToken);
    },

    async remove(actor: Actor, id: string) {
      await runChange(async () => {
        const guard = await readGuard(store, ADMINS_GUARD);
        const all = await store.listTokens();
        const token = all.find((t) => t.id === id);
        if (!token) throw new NotFound(`token ${id} does not exist`, 'token-not-found');
        const admins = all.filter((t) => t.role === 'admin');
        // A console admin is a way in too, so then the last admin token may go.
        const adminUser = token.role === 'admin' && (await store.listUsers()).some((u) => u.role === 'admin');
        if (token.role === 'admin' && admins.length === 1 && !envHash && !adminUser) {
          throw new Conflict(
            'last-admin-token',
            'this is the last admin token, PROV_ADMIN_TOKEN is not set and no console admin exists; create another admin token first',
          );
        }
        return {
          ops: [
            ...(token.role === 'admin' ? [{ op: 'guard', name: ADMINS_GUARD, expect: guard } as const] : []),
            { op: 'delete-token', id },
            auditOp(actor, clock().toISOString(), 'token.deleted', `token:${id}`, { name: token.name, role: token.role }),
          ],
          result: undefined,
        };
      });
    },

    /** The actor a bearer token stands for, or null when it is not a valid token. */
    async authenticate(bearer: string): Promise<Actor | null> {
      const hash = hashToken(bearer);
      if (envHash && timingSafeEqual(envHash, Buffer.from(hash, 'hex'))) return ENV_ACTOR;
      const record = await store.findTokenByHash(hash);
      if (!record) return null;
      return { name: record.name, role: record.role, tokenId: record.id, ...(record.role === 'pbx' ? { realms: record.realms ?? [] } : {}) };
    },

    /**
     * First start with no way in: create an admin token for the caller to
     * write to a file. Returns null when a token already exists or is configured.
     */
    async bootstrap(): Promise<string | null> {
      if (envHash || (await store.listTokens()).length > 0) return null;
      return (await issue(SYSTEM_ACTOR, 'initial-admin', 'admin')).token;
    },
  };
}
