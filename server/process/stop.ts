// How a process ends: a graceful stop on SIGTERM or SIGINT, and a boot that
// fails with one line a person can act on.
import type { Logger } from 'pino';
import { ConfigError } from '../config.ts';
import { StoreUnavailable } from '../domain/errors.ts';
import { ListenError } from '../http/listeners.ts';

const HARD_STOP_MS = 12_000;

/** SIGTERM and SIGINT (to us or to the whole process group) stop once, gracefully, or exit 1 after 12 s. */
export function onStopSignal(log: Logger, shutdown: () => Promise<boolean>): (signal: string) => void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Until the shutdown proves clean: a process whose loop empties meanwhile must not exit 0.
    process.exitCode = 1;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), HARD_STOP_MS).unref();
    void shutdown().then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return stop;
}

/** A configuration or port problem is one line on stderr; anything else is logged with its cause. */
export function fail(err: unknown, log?: Logger): void {
  if (err instanceof ConfigError) {
    process.stderr.write(`config error: ${err.message}\n`);
  } else if (err instanceof ListenError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else if (err instanceof StoreUnavailable) {
    // A service manager starts it again (Restart=on-failure); waiting here would look like a server that is up.
    const why = err.cause instanceof Error ? ` (${err.cause.message.split('\n')[0]})` : '';
    process.stderr.write(`error: the store is not answering; not starting${why}\n`);
  } else if (log) {
    log.fatal({ err }, 'could not start');
  } else {
    process.stderr.write(`could not start: ${(err as Error).message}\n`);
  }
  process.exitCode = 1;
}
