// Several server processes run from one installation's build (two instances
// on one machine, or a primary replacing a worker), and `npm start` builds
// again each time it starts. A build must never take files out from under a
// running server: `npm run build` writes into a folder of its own and moves
// each file in whole, the entry point last, and removes nothing a running
// process may still load.
import test from 'ava';
import { buildServer, rebuild } from '../helpers/build.ts';
import { listeners, logLines, startProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

test('builds running meanwhile leave a running server whole: a worker it replaces and a second server start from the build', async (t) => {
  t.timeout(120_000);
  const main = buildServer();
  const server = await startProcess({ PROV_DATA_DIR: tempDir(), PROV_WORKERS: '2' }, 90_000, main);
  t.teardown(() => server.kill('SIGKILL'));
  const { phonePids } = await listeners(server, 2);

  const builds = Promise.all([1, 2, 3].map(() => rebuild(main)));
  process.kill([...phonePids][0]!, 'SIGKILL');
  const second = await startProcess({ PROV_DATA_DIR: tempDir(), PROV_WORKERS: '1' }, 90_000, main);
  t.teardown(() => second.kill('SIGKILL'));
  await builds;

  const replaced = await until('the replacement worker listening', () => {
    const pids = new Set(logLines(server).filter((l) => l.msg === 'listening').map((l) => l.pid));
    return pids.size === 3 && pids;
  }, 30_000);
  t.is(replaced.size, 3);
  t.false(server.output().includes('could not start'), server.output());
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
  t.is((await fetch(`${second.url}/healthz`)).status, 200);
});
