// `npm test` runs ava through this (`tsx test/tools/with-mongodb.ts ava`):
// the MongoDB half of the suite needs a server, and one started here serves
// every ava worker process of the run (each test makes a database of its own
// and drops it). MONGODB_URI, when set, wins. Otherwise FerretDB is found in
// its cache, or built there when Go is installed, and started on a free
// port; with neither, the half is skipped. The run ends with one line naming
// the server the half ran against, or why it was skipped.
import { spawn } from 'node:child_process';
import { buildFerretDb, describeServer, ferretDbCache, findFerretDb, findGo, FERRETDB_VERSION, startFerretDb, type FerretDb } from '../helpers/ferretdb.ts';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: tsx test/tools/with-mongodb.ts <command> [args…]');
  process.exit(2);
}

const firstLine = (err: unknown) => String((err as Error).message ?? err).split('\n')[0];
const env = { ...process.env };
let db: FerretDb | null = null;
let line: string;

// Passed on to the tests that start a FerretDB of their own to kill (test/e2e/mongo-faults.test.ts).
const bin = findFerretDb(process.env.PROV_FERRETDB_BIN);
if (bin) env.PROV_FERRETDB_BIN = bin;

if (process.env.MONGODB_URI) {
  line = await describeServer(process.env.MONGODB_URI).then(
    (server) => `MongoDB half: ran against ${server} at MONGODB_URI`,
    (err) => `MongoDB half: MONGODB_URI did not answer (${firstLine(err)})`,
  );
} else {
  let found = bin;
  let why = '';
  if (!found) {
    const go = findGo();
    if (!go) why = `no MONGODB_URI, and no Go to build FerretDB ${FERRETDB_VERSION} with`;
    else {
      console.error(`building FerretDB ${FERRETDB_VERSION} into ${ferretDbCache()} (once; a few minutes)`);
      try {
        found = buildFerretDb(go);
        env.PROV_FERRETDB_BIN = found;
      } catch (err) {
        why = `no MONGODB_URI, and FerretDB ${FERRETDB_VERSION} did not build: ${firstLine(err)}`;
      }
    }
  }
  if (found) {
    db = await startFerretDb(found);
    env.MONGODB_URI = db.uri;
    line = `MongoDB half: ran against ${await describeServer(db.uri)}, started for this run on 127.0.0.1:${db.port} (${found})`;
  } else {
    line = `MongoDB half skipped: ${why} (docs/testing.md, "Testing against MongoDB")`;
  }
}

const child = spawn(command, args, { stdio: 'inherit', env });
// Ctrl-C reaches ava itself (one process group); this process waits for it to finish and cleans up.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
const code = await new Promise<number>((resolve) => {
  child.once('error', (err) => {
    console.error(`could not run ${command}: ${err.message}`);
    resolve(1);
  });
  child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await db?.stop();
console.log(line);
process.exit(code);
