// One process serves everything (PROV_WORKERS=1): the ports are taken first,
// then the server is assembled and the reconcile runs in the background.
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { assemble } from '../assemble.ts';
import type { Config } from '../config.ts';
import { watchLoopDelay } from '../cluster/loop-delay.ts';
import { bind, bindAdmin, closeServers, logListening, type Bound } from '../http/listeners.ts';
import { fail, onStopSignal } from './stop.ts';

export async function runSingleProcess(config: Config, log: Logger): Promise<void> {
  let bound: Bound;
  let admin: Bound | null = null;
  try {
    bound = await bind(config);
    admin = await bindAdmin(config).catch(async (err: unknown) => {
      await bound.close();
      throw err;
    });
  } catch (err) {
    return fail(err, log);
  }
  let built: Awaited<ReturnType<typeof assemble>>;
  try {
    built = await assemble(config, { log, background: true });
    bound.serve(built.app);
    if (built.adminApp) admin?.serve(built.adminApp);
  } catch (err) {
    await bound.close();
    await admin?.close();
    return fail(err, log);
  }
  const servers: Server[] = [...bound.servers, ...(admin?.servers ?? [])];
  logListening(bound.servers, config, log);
  if (admin) logListening(admin.servers, config, log, 'admin listening');
  watchLoopDelay(log);
  onStopSignal(log, async () => {
    // Event streams never go idle by themselves.
    built.streams.endAll();
    await closeServers(servers);
    await built.close();
    return true;
  });
}
