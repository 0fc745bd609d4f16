// One log line per request. The path is logged, never the query string or a
// header, and a link's path without its token, so tokens and secrets cannot
// reach the log through a request.
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

export function requestLog(log: Logger) {
  return async function logRequest(ctx: Context, next: Next): Promise<void> {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const line = {
        method: ctx.method,
        path: ctx.path.toLowerCase().startsWith('/sp/') ? '/sp/[token]' : ctx.path,
        status: ctx.status,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        actor: ctx.state.actor?.name,
        ip: ctx.ip,
      };
      if (ctx.state.error) log.error({ ...line, err: ctx.state.error }, 'request failed');
      else log.info(line, 'request');
    }
  };
}
