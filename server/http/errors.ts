// The one place errors become responses. Typed AppErrors keep their status
// and code; anything else is a 500 whose details stay in the log. The API
// answers JSON, the phone and link routes a bare status that tells a
// scanner nothing.
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { AppError, StoreUnavailable } from '../domain/errors.ts';

export const INTERNAL = new AppError(500, 'internal', 'internal error');

/**
 * A store that is not answering is a 503 that says when to ask again: a phone
 * keeps its current file meanwhile, and a database back within this time is
 * served again (the driver finds it again by itself).
 */
export const STORE_RETRY_AFTER_S = 30;

/** The headers an error's answer carries besides its status, on every surface. */
export function errorHeaders(e: AppError): Record<string, string> {
  return e instanceof StoreUnavailable ? { 'Retry-After': String(STORE_RETRY_AFTER_S) } : {};
}

/**
 * The methods some route serves. Any other is 405 on every surface before any
 * routing (and before authentication), so its Allow names these and nothing
 * about the path.
 */
export const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Routers match paths case-insensitively, so everything that asks "is this the API?" does too. */
export function isApiPath(path: string): boolean {
  const p = path.toLowerCase();
  return p === '/api' || p.startsWith('/api/');
}

/** The registrar feed, in any letter case like the API. */
export function isPbxPath(path: string): boolean {
  const p = path.toLowerCase();
  return p === '/pbx' || p.startsWith('/pbx/');
}

export async function knownMethods(ctx: Context, next: Next): Promise<void> {
  if (!KNOWN_METHODS.has(ctx.method)) {
    ctx.set('Allow', [...KNOWN_METHODS].join(', '));
    throw new AppError(405, 'method-not-allowed', 'this method is not served here');
  }
  await next();
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // Koa and its middleware throw http-errors; keep their 4xx as-is.
  const e = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    const code = (STATUS_CODES[e.status] ?? 'bad request').toLowerCase().replace(/[^a-z]+/g, '-');
    return new AppError(e.status, code, String(e.message));
  }
  return INTERNAL;
}

export async function errorMiddleware(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new AppError(404, 'not-found', `no route for ${ctx.method} ${ctx.path}`);
    }
    // The router's allowedMethods() leaves these without a body (Allow is already set).
    if (ctx.status === 405 && !ctx.body) throw new AppError(405, 'method-not-allowed', `${ctx.method} is not allowed here`);
  } catch (err) {
    const appError = toAppError(err);
    // Only unexpected errors are worth a stack; the request log line carries it.
    if (appError === INTERNAL) ctx.state.error = err;
    ctx.status = appError.status;
    ctx.set(errorHeaders(appError));
    const api = isApiPath(ctx.path);
    if (appError.status === 401 && api) {
      ctx.set('WWW-Authenticate', 'Bearer');
      // Refused before its body was read: the connection goes too, so an
      // unauthenticated client cannot hold it open by sending slowly.
      ctx.set('Connection', 'close');
    }
    // The registrar feed is a machine API too: its errors say what went wrong.
    if (api || isPbxPath(ctx.path)) {
      ctx.body = { error: { code: appError.code, message: appError.message } };
    } else {
      ctx.body = '';
    }
  }
}
