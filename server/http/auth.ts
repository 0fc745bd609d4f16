// Bearer-token authentication for the admin API and the role each route needs.
import type { Context, Next } from 'koa';
import { AppError, Forbidden, Unauthorized } from '../domain/errors.ts';
import type { ScanGuard } from '../provisioning/scan-guard.ts';
import { roleAllows, type Actor, type Role } from '../domain/token.ts';

export type Authenticate = (bearer: string) => Promise<Actor | null>;

/**
 * Checks the bearer token; a client that keeps failing is refused (429) for a
 * while, a valid token never is. A valid token of a role this surface does
 * not serve is refused (403) before routing, whatever the path.
 */
export function bearerAuth(authenticate: Authenticate, guard: ScanGuard, roles?: readonly Role[]) {
  return async function auth(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization');
    const m = /^Bearer +(\S+) *$/i.exec(header);
    const actor = m ? await authenticate(m[1]!) : null;
    if (!actor) {
      if (guard.refuses(ctx.ip, 'api')) throw new AppError(429, 'too-many-requests', 'too many failed attempts; try again later');
      guard.strike(ctx.ip, 'bad-token');
      if (!m) throw new Unauthorized(header ? 'the Authorization header must be "Bearer <token>"' : undefined);
      throw new Unauthorized('the token is not valid');
    }
    if (roles && !roles.includes(actor.role)) throw new Forbidden('this token may not be used here');
    ctx.state.actor = actor;
    await next();
  };
}

export function requireRole(role: Role) {
  return async function checkRole(ctx: Context, next: Next): Promise<void> {
    const actor = ctx.state.actor as Actor;
    if (!roleAllows(actor.role, role)) throw new Forbidden(`this needs an ${role} token`);
    await next();
  };
}
