// (f) The phone storm on the MongoDB store: a fleet provisioned on a server
// whose store is MongoDB — the server MONGODB_URI names, or a FerretDB started
// for the run from the cache the tests keep (test/helpers/ferretdb.ts) —
// every phone's first fetch, then the same Basic storm as against the SQLite
// store, so that both compare with nginx from the same run. The fleet is
// smaller by default (BENCH_MONGO_DEVICES): FerretDB on SQLite provisions a
// few devices a second, each write its own SQLite transaction.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describeServer, dropDatabase, findFerretDb, startFerretDb, type FerretDb } from '../test/helpers/ferretdb.ts';
import { adminClient } from './admin.ts';
import { firstFetches } from './first-fetch.ts';
import { phoneTargets, seed, type FleetSize } from './seed.ts';
import { startServer } from './server-process.ts';
import { cpuSeconds, type StormFigures, type Target } from './storm.ts';

export interface MongoFigures {
  /** The server, by its buildInfo. */
  server: string;
  fleet: FleetSize;
  setupS: number;
  /** Set-up calls asked again after a 409 concurrent-change. */
  conflicts: number;
  firstBootPerSecond: number;
  storm: StormFigures;
  /** CPU the FerretDB process used during the storm (warm-up included), in cores; null for a server MONGODB_URI names. */
  databaseCores: number | null;
}

export interface MongoRun {
  work: string;
  /** The SQLite server's environment: the same workers, token, templates and public URL. */
  env: Record<string, string>;
  size: FleetSize;
  concurrency: number;
  storm: (url: string, pid: number, targets: readonly Target[]) => Promise<StormFigures>;
  say: (msg: string) => void;
}

export async function measureMongoStorm(run: MongoRun): Promise<MongoFigures | { skipped: string }> {
  let db: FerretDb | null = null;
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    const bin = findFerretDb(process.env.PROV_FERRETDB_BIN);
    if (!bin) return { skipped: 'no MONGODB_URI, and no FerretDB in its cache (`npx tsx test/tools/ferretdb-binary.ts` builds it)' };
    db = await startFerretDb(bin);
    uri = db.uri;
  }
  const database = `prov_bench_${randomBytes(4).toString('hex')}`;
  try {
    const server = await describeServer(uri);
    const env = { ...run.env, PROV_DATA_DIR: path.join(run.work, 'data-mongo'), MONGODB_URI: uri, PROV_MONGODB_DB: database };
    const instance = await startServer(env, path.join(run.work, 'server-mongo.log'));
    try {
      run.say(`(f) the MongoDB store on ${server}: creating ${run.size.extensions} extensions and ${run.size.devices} devices`);
      const admin = adminClient(instance.adminUrl, run.env.PROV_ADMIN_TOKEN!);
      const fleet = await seed(admin, run.size, run.concurrency);
      const { targets } = await phoneTargets(admin, fleet.devices, run.concurrency);
      const firstBoot = await firstFetches(instance.url, targets, 50);
      run.say('(f) the Basic storm against the server on MongoDB');
      const [cpu, started] = [db ? cpuSeconds(db.pid()) : 0, performance.now()];
      const storm = await run.storm(instance.url, instance.pid, targets);
      const databaseCores = db ? (cpuSeconds(db.pid()) - cpu) / ((performance.now() - started) / 1000) : null;
      const setupS = (fleet.extensionsMs + fleet.devicesMs) / 1000;
      return { server, fleet: run.size, setupS, conflicts: admin.conflicts(), firstBootPerSecond: firstBoot.perSecond, storm, databaseCores };
    } finally {
      await instance.stop();
    }
  } finally {
    await dropDatabase(uri, database);
    await db?.stop();
  }
}
