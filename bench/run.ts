// `npm run bench`: provisions a fleet on the real server (a child process on a
// loopback port, in a fresh temp data directory), then measures full
// re-renders, a widely shared secret change, a fetch storm against our server
// and against nginx serving the same bytes, and the server's peak memory.
// Prints a report and writes it as JSON to a temp path; leaves nothing behind.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminClient, percentile, pushBacklog } from './admin.ts';
import { digestStorm, type DigestFigures, type DigestTarget } from './digest-storm.ts';
import { DIGEST_PREFIX, findNginx, mirror, startNginx } from './nginx.ts';
import { startNodeFloor } from './node-floor.ts';
import { formatReport, type Report } from './report.ts';
import { measureReload, measureSecretChange } from './rerender.ts';
import { measureMongoStorm } from './mongo.ts';
import { formatNotify, measureNotify } from './notify.ts';
import { phoneTargets, seed } from './seed.ts';
import { ROOT, startServer, stopAllChildren } from './server-process.ts';
import { storm, type StormFigures, type Target } from './storm.ts';
import { findWrk, wrkStorm } from './wrk.ts';
import { firstFetches } from './first-fetch.ts';
import { duringWork } from './during-work.ts';
import { measureImport } from './import.ts';
import type { ImportLoop } from './report.ts';

// Sizes can be shrunk for a quick try (BENCH_DEVICES=1000 npm run bench);
// the defaults are the figures the report is about.
const int = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SIZE = { extensions: int('BENCH_EXTENSIONS', 5_000), devices: int('BENCH_DEVICES', 10_000), sharedBy: 50 };
// The storm on the MongoDB store (f): a fleet FerretDB can be given in minutes.
const MONGO_DEVICES = int('BENCH_MONGO_DEVICES', Math.min(SIZE.devices, 1_000));
const MONGO_SIZE = { extensions: Math.ceil((MONGO_DEVICES * SIZE.extensions) / SIZE.devices), devices: MONGO_DEVICES, sharedBy: SIZE.sharedBy };
const CONCURRENCY = 8;
const SECRET_CHANGES = 20;
// (g): the figure is for a 5,000-row file; 0 leaves the phase out.
const IMPORT_ROWS = int('BENCH_IMPORT_ROWS', 5_000);
const STORM = { connections: 100, seconds: int('BENCH_STORM_SECONDS', 15), warmupSeconds: 3 };
// The default run takes about 7 minutes here, and the MongoDB store's set-up
// and storm some more; larger fleets get time in proportion.
const DEADLINE_MS = Math.max(20, (20 * SIZE.devices) / 10_000) * 60_000;
// Ours and nginx run the same number of worker processes.
const WORKERS = int('BENCH_WORKERS', os.availableParallelism());
// BENCH_ADMIN_PORT=1: the API on its own port (PROV_ADMIN_PORT), served by the primary.
const ADMIN_PORT = process.env.BENCH_ADMIN_PORT === '1';

const say = (msg: string) => console.log(`· ${msg}`);

async function main(work: string): Promise<void> {
  const wallStart = performance.now();
  const token = randomBytes(24).toString('hex');
  // A copy of the built-in templates as the operator folder, so (a) can
  // change every template without touching the repository.
  const templatesDir = path.join(work, 'templates');
  fs.cpSync(path.join(ROOT, 'templates'), templatesDir, { recursive: true });
  const env = {
    PROV_DATA_DIR: path.join(work, 'data'),
    PROV_ADMIN_TOKEN: token,
    PROV_TEMPLATES_DIR: templatesDir,
    PROV_PUBLIC_URL: 'http://prov.bench.test:8080',
    // Phones in the storm authenticate with Basic, as they would over HTTPS:
    // one round trip per fetch, like nginx serving files.
    PROV_ALLOW_BASIC_OVER_HTTP: 'true',
    PROV_WORKERS: String(WORKERS),
    // The storm's phones are past their claim window: they authenticate.
    PROV_CLAIM_MINUTES: '0',
    ...(ADMIN_PORT ? { PROV_ADMIN_PORT: '0' } : {}),
    // Push is on by default (direct): every reload and secret change queues a
    // NOTIFY per proven phone. BENCH_PUSH=off measures without it, as runs
    // before push was on by default did.
    ...(process.env.BENCH_PUSH ? { PROV_NOTIFY: process.env.BENCH_PUSH } : {}),
  };

  const server = await startServer(env, path.join(work, 'server-1.log'));
  say(`server pid ${server.pid} listening on ${server.url} (log ${server.logFile})`);
  const firstStartMs = server.startMs;
  const firstStartRss = server.peakRssMiB();
  if (ADMIN_PORT) say(`the API on its own port: ${server.adminUrl}`);
  const admin = adminClient(server.adminUrl, token);

  say(`creating ${SIZE.extensions} extensions and ${SIZE.devices} devices, ${CONCURRENCY} in flight`);
  const fleet = await seed(admin, SIZE, CONCURRENCY);
  const setupS = (fleet.extensionsMs + fleet.devicesMs) / 1000;
  say(`set-up took ${setupS.toFixed(1)} s`);
  // VmHWM only grows, so reading it after each phase shows which phase set the peak.
  const peakRss: Record<string, number> = { start: firstStartRss, setup: server.peakRssMiB() };
  const shared = await admin.must(200, 'GET', `/api/extensions/${fleet.shared}`);
  const sharedCount = new Set(shared.body.devices.map((d: { mac: string }) => d.mac)).size;
  if (sharedCount !== SIZE.sharedBy) throw new Error(`extension ${fleet.shared} is on ${sharedCount} devices`);

  say('reading every device\'s provisioning credentials');
  const { targets, logins } = await phoneTargets(admin, fleet.devices, CONCURRENCY);
  const digestTargets: DigestTarget[] = targets.map((t) => {
    const mac = t.path.slice('/prov/'.length, '/prov/'.length + 12);
    return { path: t.path, userAgent: t.userAgent, ...logins.get(mac)! };
  });

  say('(0) every phone fetches its file once, as at a first boot (the server learns each firmware)');
  const firstBoot = await firstFetches(server.url, targets, 50);
  say('(a) template reloads, with phones fetching meanwhile; event-loop delay of every worker');
  const loop = await duringWork(server, targets, () => measureReload(admin, fleet.devices, templatesDir));
  const reload = loop.result;
  peakRss.reloads = server.peakRssMiB();
  say('(b) secret changes');
  const secretChange = await measureSecretChange(admin, fleet.shared, SECRET_CHANGES, SIZE.sharedBy);
  say(`(g) import of a ${IMPORT_ROWS}-row spreadsheet: dry run, apply with phones fetching meanwhile, the same file again`);
  const importLoop: Partial<ImportLoop> = {};
  const imported = IMPORT_ROWS > 0
    ? await measureImport(server.adminUrl, token, IMPORT_ROWS, async (apply) => {
        const measured = await duringWork(server, targets, apply);
        Object.assign(importLoop, { workers: measured.delays, probe: measured.probe });
        return measured.result;
      })
    : null;
  peakRss.import = server.peakRssMiB();

  const wrk = findWrk();
  const basicStorm = (url: string, pid: number, phones: readonly Target[] = targets) =>
    wrk ? wrkStorm(wrk, url, pid, phones, STORM) : storm(url, pid, phones, STORM);
  say(`(c) Basic storm against our server with ${wrk ? 'wrk' : 'autocannon'} (${STORM.warmupSeconds} s warm-up + ${STORM.seconds} s), secret changes meanwhile`);
  // Push work still draining from the phases before (a reload that changed
  // every file queues a NOTIFY per proven phone) shares the CPU with the storm.
  const stormStart = new Date().toISOString();
  const pushAtStormStart = await pushBacklog(admin, stormStart);
  const [ours, secretUnderStorm] = await Promise.all([
    basicStorm(server.url, server.pid),
    (async () => {
      await new Promise((r) => setTimeout(r, (STORM.warmupSeconds + 1) * 1000));
      return measureSecretChange(admin, fleet.shared, SECRET_CHANGES, SIZE.sharedBy);
    })(),
  ]);
  peakRss.storm = server.peakRssMiB();
  const pushAtStormEnd = await pushBacklog(admin, stormStart);
  const stormWallS = (Date.now() - Date.parse(stormStart)) / 1000;
  say(`(c) challenges only: the same storm without credentials (every answer a 401), ${wrk ? 'wrk' : 'autocannon'}`);
  // The same load generator as the served-file storm, so the CPU per answer compares like with like.
  const bare = targets.map((t) => ({ ...t, authorization: '' }));
  const challengeOnly = await (wrk ? wrkStorm(wrk, server.url, server.pid, bare, STORM) : storm(server.url, server.pid, bare, STORM));
  say('(c) Digest path against our server (challenge + answer per fetch)');
  const oursDigest = await digestStorm(server.url, server.pid, digestTargets, '', STORM);
  peakRss.digest = server.peakRssMiB();

  let nginxFigures: StormFigures | null = null;
  let floorFigures: StormFigures | null = null;
  let nginxDigest: DigestFigures | null = null;
  let nginxSkipped: string | null = null;
  const nginxBin = findNginx();
  if (!nginxBin) {
    nginxSkipped = 'nginx is not on PATH; install it with `apt-get install -y nginx` to compare';
    say(`(d) skipped: ${nginxSkipped}`);
  } else {
    const www = path.join(work, 'www');
    const copied = await mirror(server.url, targets, www, CONCURRENCY);
    say(`(d) mirrored ${copied.files} files (${(copied.bytes / 1024 / 1024).toFixed(1)} MiB); storm against nginx`);
    const nginx = await startNginx(nginxBin, path.join(work, 'nginx'), www, targets[0]!.path, WORKERS);
    try {
      nginxFigures = await basicStorm(nginx.url, nginx.pid);
      nginxDigest = await digestStorm(nginx.url, nginx.pid, digestTargets, DIGEST_PREFIX, STORM);
    } finally {
      await nginx.stop();
    }
    say('(d) the same storm against the Node floor: node:cluster answering the same bytes from memory, nothing else');
    const floor = await startNodeFloor(path.join(work, 'floor'), www, WORKERS);
    try {
      floorFigures = await basicStorm(floor.url, floor.pid);
    } finally {
      await floor.stop();
    }
  }

  const serverPeakRssMiB = server.peakRssMiB();
  const serverTotalPeakRssMiB = server.totalPeakRssMiB();
  peakRss.end = serverPeakRssMiB;
  await server.stop();

  // Start-up reconcile: a restart of the unchanged data dir, then one with a
  // new public URL, which every Yealink device file and the Polycom common
  // file carry. Both starts render and compare everything; the difference is
  // the cost of storing what the new URL changed.
  say('(a) restarts: unchanged, then with PROV_PUBLIC_URL changed');
  const baseline = await startServer(env, path.join(work, 'server-2.log'));
  const baselineReconciledMs = await baseline.reconciled();
  await baseline.stop();
  const moved = await startServer({ ...env, PROV_PUBLIC_URL: 'http://prov2.bench.test:8080' }, path.join(work, 'server-3.log'));
  const movedReconciledMs = await moved.reconciled();
  const restartPeakRssMiB = moved.peakRssMiB();
  await moved.stop();
  // BENCH_MONGO=0 leaves it out.
  const mongo = process.env.BENCH_MONGO === '0' ? null : await measureMongoStorm({ work, env, size: MONGO_SIZE, concurrency: CONCURRENCY, storm: basicStorm, say });

  const restart = {
    emptyStartMs: firstStartMs,
    baselineStartMs: baseline.startMs,
    changedUrlStartMs: moved.startMs,
    reconcileMs: moved.startMs - baseline.startMs,
    writes: loggedWrites(moved.logFile),
    baselineReconciledMs,
    changedUrlReconciledMs: movedReconciledMs,
    changedUrlPeakRssMiB: restartPeakRssMiB,
  };

  const report: Report = {
    machine: { cpus: os.availableParallelism(), node: process.versions.node, nginx: nginxBin },
    fleet: { extensions: SIZE.extensions, devices: SIZE.devices, lines: fleet.lines, sharedExtensionDevices: sharedCount },
    setup: {
      extensionsS: fleet.extensionsMs / 1000,
      devicesS: fleet.devicesMs / 1000,
      totalS: setupS,
      devicesPerSecond: SIZE.devices / (fleet.devicesMs / 1000),
      deviceCallP50Ms: percentile(fleet.deviceCallMs, 50),
      deviceCallP99Ms: percentile(fleet.deviceCallMs, 99),
    },
    firstBoot,
    reload,
    restart,
    secretChange,
    storm: { connections: STORM.connections, seconds: STORM.seconds, tool: wrk ? 'wrk' : 'autocannon', workers: WORKERS, ours, nginx: nginxFigures, nginxSkipped, nodeFloor: floorFigures },
    ratios: nginxFigures
      ? {
          requestsPerSecond: ours.requestsPerSecond / nginxFigures.requestsPerSecond,
          p99: ours.p99Ms / nginxFigures.p99Ms,
          floorRequestsPerSecond: floorFigures ? floorFigures.requestsPerSecond / nginxFigures.requestsPerSecond : null,
          oursToFloor: floorFigures ? ours.requestsPerSecond / floorFigures.requestsPerSecond : null,
          mongoRequestsPerSecond: mongo && 'storm' in mongo ? mongo.storm.requestsPerSecond / nginxFigures.requestsPerSecond : null,
        }
      : null,
    digest: { ours: oursDigest, nginx: nginxDigest, ratio: nginxDigest ? oursDigest.fetchesPerSecond / nginxDigest.fetchesPerSecond : null },
    secretUnderStorm,
    pushBacklog: { atStormStart: pushAtStormStart, atStormEnd: pushAtStormEnd, stormS: stormWallS },
    mongo,
    adminPort: ADMIN_PORT,
    // Server CPU per answer: what a 401 costs against a served file.
    cpuPerRequestMs: {
      served: (ours.targetCores * 1000) / ours.requestsPerSecond,
      challenge: (challengeOnly.targetCores * 1000) / challengeOnly.requestsPerSecond,
    },
    reloadLoop: { workers: loop.delays, probe: loop.probe },
    import: imported && importLoop.workers && importLoop.probe ? { ...imported, workers: importLoop.workers, probe: importLoop.probe } : null,
    load: os.loadavg(),
    serverPeakRssMiB,
    serverTotalPeakRssMiB,
    peakRssAfterMiB: peakRss,
    wallS: (performance.now() - wallStart) / 1000,
  };
  console.log(formatReport(report));
  const errors = loggedErrors(server.logFile);
  Object.assign(report, { serverErrors: errors });
  if (errors.length) console.log(`! the server logged ${errors.length} error(s) during the run: ${[...new Set(errors)].slice(0, 5).join('; ')}`);
  // check-sync NOTIFY runs last, on its own server and fleet (BENCH_NOTIFY=0 leaves it out).
  const notify = process.env.BENCH_NOTIFY === '0' ? null : await measureNotify(work, say);
  if (notify) console.log(formatNotify(notify));
  Object.assign(report, { notify });
  // Outside the work dir, which is removed; a fixed name so the latest run is easy to find.
  const json = path.join(os.tmpdir(), 'prov-bench-latest.json');
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  console.log(`JSON: ${json}`);
}

/** What the server logged as an error or worse (a worker that exited, a failed request): a run with any is suspect. */
function loggedErrors(logFile: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!/"level":(50|60)/.test(line)) continue;
    try {
      out.push((JSON.parse(line) as { msg?: string }).msg ?? line);
    } catch {
      out.push(line);
    }
  }
  return out;
}

/** The "stored renders brought up to date" line's write count, if the start logged one. */
function loggedWrites(logFile: string): number | null {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('brought up to date')) continue;
    return (JSON.parse(line) as { writes?: number }).writes ?? null;
  }
  return null;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-bench-'));
// nginx's workers run as an unprivileged user and must reach the mirror below;
// the data dir inside is created 0700 by the server itself.
fs.chmodSync(work, 0o755);
const cleanUp = async () => {
  await stopAllChildren();
  fs.rmSync(work, { recursive: true, force: true });
};
const abort = (why: string, code: number) => {
  console.error(why);
  void cleanUp().finally(() => process.exit(code));
};
process.once('SIGINT', () => abort('interrupted; stopping children and removing the temp dir', 130));
process.once('SIGTERM', () => abort('terminated; stopping children and removing the temp dir', 143));
const watchdog = setTimeout(() => abort(`bench took over ${DEADLINE_MS / 60_000} minutes; stopping`, 1), DEADLINE_MS);

try {
  await main(work);
} catch (err) {
  console.error('bench failed:', err);
  process.exitCode = 1;
  // The work dir goes; the servers' logs of a failed run are kept to read.
  const kept = path.join(os.tmpdir(), `prov-bench-failed-${Date.now()}`);
  fs.mkdirSync(kept);
  for (const f of fs.readdirSync(work).filter((n) => n.endsWith('.log'))) fs.copyFileSync(path.join(work, f), path.join(kept, f));
  console.error(`the servers' logs: ${kept}`);
} finally {
  clearTimeout(watchdog);
  await cleanUp();
}
