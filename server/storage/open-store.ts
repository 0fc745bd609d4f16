// Opening the store the configuration names, proven to hold data sealed with
// this server's key before anything reads it.
import type { Config } from '../config.ts';
import type { SecretBox } from '../domain/secret-box.ts';
import { checkSecretKey } from './secret-key.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** Which store is the only thing here that knows: everything past it sees the Store port. */
export async function openStore(config: Pick<Config, 'mongo' | 'dataDir'>, box: SecretBox): Promise<Store> {
  // The MongoDB driver is loaded only when it is used: it is a fifth of each process's start.
  const engine = config.mongo
    ? await (await import('./mongo-store.ts')).openMongoStore(config.mongo)
    : openSqliteStore(config.dataDir);
  try {
    await checkSecretKey(engine, box);
  } catch (err) {
    await engine.close();
    throw err;
  }
  return engine;
}
