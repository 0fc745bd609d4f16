// `npm run bench:import`: phase (e) of the benchmark alone, on a server of its
// own with the same workers as the full run and a few phones fetching while
// the file is applied, for a figure in a minute instead of the full run's
// quarter hour.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { duringWork } from './during-work.ts';
import { measureImport } from './import.ts';
import { phoneTargets, seed } from './seed.ts';
import { adminClient } from './admin.ts';
import { startServer, stopAllChildren } from './server-process.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 5_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? os.availableParallelism());

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prov-bench-import-'));
try {
  const token = randomBytes(24).toString('hex');
  const server = await startServer(
    { PROV_DATA_DIR: path.join(work, 'data'), PROV_ADMIN_TOKEN: token, PROV_PUBLIC_URL: 'http://prov.bench.test:8080', PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_WORKERS: String(WORKERS), PROV_CLAIM_MINUTES: '0' },
    path.join(work, 'server.log'),
  );
  const admin = adminClient(server.adminUrl, token);
  // Phones that keep fetching while the file is applied: a small fleet of their own.
  const fleet = await seed(admin, { extensions: 100, devices: 200, sharedBy: 10 }, 8);
  const { targets } = await phoneTargets(admin, fleet.devices, 8);
  const loop: { delays?: unknown; probe?: unknown } = {};
  const figures = await measureImport(server.adminUrl, token, ROWS, async (apply) => {
    const measured = await duringWork(server, targets, apply);
    Object.assign(loop, { delays: measured.delays, probe: measured.probe });
    return measured.result;
  });
  console.log(JSON.stringify({ workers: WORKERS, ...figures, loop }, null, 2));
  await server.stop();
} finally {
  await stopAllChildren();
  fs.rmSync(work, { recursive: true, force: true });
}
