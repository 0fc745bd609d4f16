// A worker of a multi-worker instance: waits until the primary has opened
// the store, assembles its share of the server and serves the phones' port
// (and, without an admin port, the API and console too).
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { assemble } from '../assemble.ts';
import type { Config } from '../config.ts';
import { createLink } from '../cluster/link.ts';
import { watchLoopDelay } from '../cluster/loop-delay.ts';
import { GO_CALL } from '../cluster/primary.ts';
import { closeServers, listen, logListening } from '../http/listeners.ts';
import { fail, onStopSignal } from './stop.ts';

export async function runWorker(config: Config, log: Logger): Promise<void> {
  const link = createLink(process as unknown as Parameters<typeof createLink>[0]);
  // The primary opens the store (migrations, key, first token) before any worker does.
  await link.call(GO_CALL);
  let servers: Server[];
  let built: Awaited<ReturnType<typeof assemble>>;
  try {
    built = await assemble(config, { log, worker: { link, id: cluster.worker!.id } });
    servers = await listen(built.app, config);
  } catch (err) {
    fail(err, log);
    process.exit(1);
  }
  logListening(servers, config, log);
  link.post({ k: 'ready' }, true);
  watchLoopDelay(log);
  const stop = onStopSignal(log, async () => {
    built.streams.endAll();
    await closeServers(servers);
    await built.close();
    return true;
  });
  // The primary is gone: nothing relays, nothing writes fetch records; stop.
  process.once('disconnect', () => stop('disconnect'));
}
