// One log line per request. The path is logged, never the query string or a
// header, and a link's path without its token, so tokens and secrets cannot
// reach the log through a request.
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

export interface Answered {
  method: string;
  path: string;
  status: number;
  /** process.hrtime.bigint() when the request came in. */
  started: bigint;
  actor?: string;
  ip: string;
  /** An unexpected error, logged with its stack. */
  error?: unknown;
}

/** A segment a link token (24 random bytes in base64url) could be: long, of its alphabet, in mixed case. */
const TOKEN_LIKE = /^(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_-]{24,}$/;

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The path as it may be logged. A link's URL is a credential, and a client
 * may spell /sp/ many ways the router still takes (//sp/, /%73p/, /SP/, /./sp/),
 * so the path is read as the router would read it; any other segment shaped
 * like a token is left out too.
 */
export function loggablePath(path: string): string {
  const plain = decoded(path).replace(/\/+/g, '/').replace(/\/\.(?=\/)/g, '').toLowerCase();
  if (plain === '/sp' || plain.startsWith('/sp/')) return '/sp/[token]';
  return path
    .split('/')
    .map((segment) => (TOKEN_LIKE.test(decoded(segment)) ? '[redacted]' : segment))
    .join('/');
}

/** The line every answered request leaves, whichever way it was served. */
export function logAnswered(log: Logger, a: Answered): void {
  const line = {
    method: a.method,
    path: loggablePath(a.path),
    status: a.status,
    ms: Number((process.hrtime.bigint() - a.started) / 1000n) / 1000,
    actor: a.actor,
    ip: a.ip,
  };
  if (a.error) log.error({ ...line, err: a.error }, 'request failed');
  else log.info(line, 'request');
}

export function requestLog(log: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      logAnswered(log, { method: ctx.method, path: ctx.path, status: ctx.status, started, actor: ctx.state.actor?.name, ip: ctx.ip, error: ctx.state.error });
    }
  };
}
