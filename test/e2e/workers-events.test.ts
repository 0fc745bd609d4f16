// Live events across workers: the primary relays a worker's events only to
// workers that have listeners (an open /api/events stream), so a console
// stream on one worker still sees a change made through the other, and a
// stream opened after every earlier one closed hears changes again.
import fs from 'node:fs';
import http from 'node:http';
import test from 'ava';
import { callOnOwnConnection } from '../helpers/own-connection.ts';
import { listeners, logLines, startProcess, type Running } from '../helpers/process.ts';
import { until } from '../helpers/until.ts';
import { tempDir } from '../helpers/server.ts';

const TOKEN = 'workers-events-admin-token-0123456789';
const MAC = '805ec0654321';

const call = async (s: Running, method: string, path: string, body?: unknown) => (await callOnOwnConnection(s.url, TOKEN, method, path, body)).status;

/** An event stream on a connection of its own; `text()` is what has arrived so far. */
function stream(s: Running): Promise<{ text: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = http.request(s.url + '/api/events', { agent: false, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (text.includes('event: hello')) resolve({ text: () => text, close: () => req.destroy() });
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => (text ? undefined : reject(err)));
    req.end();
  });
}

const lines = (s: Running) => logLines(s);


test('a stream on either worker sees a change made through the other', async (t) => {
  t.timeout(240_000);
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess({ PROV_DATA_DIR: dataDir, PROV_WORKERS: '2', PROV_ADMIN_TOKEN: TOKEN, PROV_SWEEP_MINUTES: '0' }, 120_000);
  t.teardown(() => s.stop());
  await listeners(s, 2);
  t.is(await call(s, 'POST', '/api/extensions', { number: '1001', secret: 'Events-Secret-1', server: { host: 'pbx.example.com' } }), 201);
  t.is(await call(s, 'POST', '/api/devices', { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] }), 201);

  // Two streams on connections of their own: the primary hands connections to the workers in turn.
  // Each round opens them anew, so the second round also checks that relaying starts again.
  let split = false;
  for (let round = 1; round <= 5 && !(split && round > 2); round++) {
    // A stream's request line is logged when it opens: which worker holds it.
    const opened = () => lines(s).filter((l) => l.msg === 'request' && l.path === '/api/events');
    const before = opened().length;
    const streams = [await stream(s), await stream(s)];
    await until('both streams logged', () => opened().length >= before + 2);
    const label = `desk ${round}`;
    t.is(await call(s, 'PATCH', `/api/devices/${MAC}`, { label }), 200);
    for (const [i, st] of streams.entries()) {
      await until(`stream ${i} to show the new label`, () => st.text().includes(`"label":"${label}"`));
    }
    for (const st of streams) st.close();
    if (new Set(opened().slice(before).map((l) => l.pid)).size === 2) split = true;
  }
  t.true(split, 'the two streams of a round were on different workers, and both saw the change');
});
