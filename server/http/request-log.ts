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

/** The line every answered request leaves, whichever way it was served. */
export function logAnswered(log: Logger, a: Answered): void {
  const line = {
    method: a.method,
    path: a.path.toLowerCase().startsWith('/sp/') ? '/sp/[token]' : a.path,
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
