// The one place errors become responses. Typed AppErrors keep their status
// and code; anything else is a 500 whose details stay in the log. The API
// answers JSON, the phone and link routes a bare status that tells a
// scanner nothing.
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { AppError } from '../domain/errors.ts';

const INTERNAL = new AppError(500, 'internal', 'internal error');

function toAppError(err: unknown): AppError {
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
  } catch (err) {
    const appError = toAppError(err);
    // Only unexpected errors are worth a stack; the request log line carries it.
    if (appError === INTERNAL) ctx.state.error = err;
    ctx.status = appError.status;
    if (appError.status === 401 && ctx.path.startsWith('/api')) ctx.set('WWW-Authenticate', 'Bearer');
    // The registrar feed is a machine API too: its errors say what went wrong.
    if (ctx.path === '/api' || ctx.path.startsWith('/api/') || ctx.path.startsWith('/pbx/')) {
      ctx.body = { error: { code: appError.code, message: appError.message } };
    } else {
      ctx.body = '';
    }
  }
}
