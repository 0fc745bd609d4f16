import test from 'ava';
import { startServer } from './helpers/server.ts';

test('health answers on a fresh server', async (t) => {
  const s = await startServer();
  t.teardown(s.close);
  t.is((await s.api('GET', '/healthz', { token: null })).status, 200);
  t.is((await s.api('GET', '/readyz', { token: null })).status, 200);
});
