// The process entry point: reads the configuration, makes the logger and
// starts this process in its role. Everything the server is gets built in
// assemble.ts; each role (one process, a cluster's primary, a worker) is a
// file of its own in process/.
import cluster from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig, type Config } from './config.ts';
import { runClusterPrimary } from './process/cluster-primary.ts';
import { runWorker } from './process/cluster-worker.ts';
import { runSingleProcess } from './process/single-process.ts';
import { fail } from './process/stop.ts';

async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    return fail(err);
  }
  // Asynchronous writes (pino's own design): under a storm, lines written while one write is in flight go out together.
  const log = pino(
    { level: config.logLevel, redact: ['req.headers.authorization', '*.secret', '*.token'] },
    pino.destination({ dest: 1, sync: false }),
  );
  if (cluster.isWorker) return runWorker(config, log);
  if (config.workers > 1) return runClusterPrimary(config, log);
  return runSingleProcess(config, log);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void start();
}
