// Bearer-token authentication for the admin API and the role each route needs.
import type { Context, Next } from 'koa';
import { Forbidden, Unauthorized } from '../domain/errors.ts';
import { roleAllows, type Actor, type Role } from '../domain/token.ts';

export type Authenticate = (bearer: string) => Promise<Actor | null>;

export function bearerAuth(authenticate: Authenticate) {
  return async function auth(ctx: Context, next: Next): Promise<void> {
    const header = ctx.get('authorization');
    const m = /^Bearer +(\S+) *$/i.exec(header);
    if (!m) throw new Unauthorized(header ? 'the Authorization header must be "Bearer <token>"' : undefined);
    const actor = await authenticate(m[1]!);
    if (!actor) throw new Unauthorized('the token is not valid');
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
