// Bearer-token authentication for the admin API and the role each route needs.
import type { Context, Next } from 'koa';
import { AppError, Forbidden, Unauthorized } from '../domain/errors.ts';
import type { ScanGuard } from '../provisioning/phones/scan-guard.ts';
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

export const SESSION_COOKIE = 'prov_session';

/** The session cookie's person, or null (see server/console/accounts.ts). */
export type AuthenticateSession = (sessionId: string) => Promise<Actor | null>;

/** Requests that carry no cookie's ambient authority, so no origin check is needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a browser request comes from our own pages. Sec-Fetch-Site, when
 * sent, must say same-origin; otherwise the Origin must be ours. A request
 * with neither is refused: every browser that runs the console sends one.
 */
export function fromOwnPages(ctx: Context, extraOrigins: readonly string[] = []): boolean {
  return !fromElsewhere(ctx, extraOrigins) && Boolean(ctx.get('sec-fetch-site') || ctx.get('origin'));
}

/**
 * Whether a browser says the request is its own user's doing on our pages:
 * Sec-Fetch-Site same-origin (our page) or none (typed, a bookmark); a browser
 * without Fetch Metadata must name our origin in Origin or Referer. Another
 * page of the same site (say, a phone's file on the phones' port) is not ours.
 */
export function ownOriginRead(ctx: Context, extraOrigins: readonly string[] = []): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site) return site === 'same-origin' || site === 'none';
  const ours = (origin: string) => origin === `${ctx.protocol}://${ctx.host}` || extraOrigins.includes(origin);
  const origin = ctx.get('origin');
  if (origin) return ours(origin);
  const referer = ctx.get('referer');
  if (!referer) return false;
  try {
    return ours(new URL(referer).origin);
  } catch {
    return false;
  }
}

/**
 * For routes that reveal a secret: with the session cookie, only a read our
 * own pages (or the admin's own address bar) make. A cookie rides along with
 * any request a browser makes, and a reveal is an audited act in the admin's
 * name even when the answer stays unreadable to the page that asked.
 * Bearer tokens are unaffected: they never ride along.
 */
export function revealsNeedOwnOrigin(ctx: Context, next: Next): Promise<void> {
  if (ctx.state.viaCookie && !ctx.state.ownOrigin) {
    throw new AppError(403, 'cross-site-request', 'a secret is shown only to the console itself');
  }
  return next();
}

/** Whether a browser says the request comes from another site's page. */
function fromElsewhere(ctx: Context, extraOrigins: readonly string[]): boolean {
  const site = ctx.get('sec-fetch-site');
  if (site && site !== 'same-origin') return true;
  const origin = ctx.get('origin');
  // Not ctx.origin: Koa 3 answers that with the Origin header itself.
  return Boolean(origin) && origin !== `${ctx.protocol}://${ctx.host}` && !extraOrigins.includes(origin);
}

export interface ApiAuthOptions {
  authenticate: Authenticate;
  authenticateSession: AuthenticateSession;
  guard: ScanGuard;
  /** Routes that answer without anyone signed in (sign-in, setup), by "METHOD /path". */
  open: ReadonlySet<string>;
  /** Origins besides the request's own that the pages are served from (PROV_PUBLIC_URL's). */
  origins?: readonly string[];
  /** The token roles this surface serves; another valid token is refused (403). */
  roles?: readonly Role[];
}

/**
 * A bearer token as before, or the console's session cookie. A cookie comes
 * along with any request a browser makes, whoever's page starts it, so a
 * state-changing request on a cookie must come from our own pages.
 */
export function apiAuth({ authenticate, authenticateSession, guard, open, origins = [], roles }: ApiAuthOptions) {
  const bearer = bearerAuth(authenticate, guard, roles);
  return async function auth(ctx: Context, next: Next): Promise<void> {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    const isOpen = open.has(`${ctx.method} ${ctx.path}`);
    if (ctx.get('authorization') || (!cookie && !isOpen)) return bearer(ctx, next);
    const refused = isOpen ? fromElsewhere(ctx, origins) : !SAFE_METHODS.has(ctx.method) && !fromOwnPages(ctx, origins);
    if (refused) {
      throw new AppError(403, 'cross-site-request', 'a change made with the session cookie must come from the console itself');
    }
    // Signing in or setting up needs no cookie, so a client without a browser's headers may too; another site's page may not.
    if (isOpen) return next();
    if (guard.refuses(ctx.ip, 'api')) throw new AppError(429, 'too-many-requests', 'too many failed attempts; try again later');
    const actor = await authenticateSession(cookie!);
    if (!actor) throw new AppError(401, 'session-expired', 'the session has ended; sign in again');
    ctx.state.actor = actor;
    ctx.state.viaCookie = true;
    ctx.state.ownOrigin = ownOriginRead(ctx, origins);
    await next();
  };
}
