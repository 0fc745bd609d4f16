// The server as a real process with two workers (PROV_WORKERS=2), driven
// over fresh connections so that consecutive requests land on different
// workers; which worker answered is read from the request log's pid. What
// must hold across workers: a Digest challenge issued by one is answered on
// the other and a replayed nonce-count is refused wherever it lands; the scan
// guard's threshold counts strikes from every worker; a fetch recorded on one
// shows on the other; SIGTERM stops every worker and the primary cleanly.
import http from 'node:http';
import fs from 'node:fs';
import test from 'ava';
import { digestAuthorization, digestChallenge } from '../helpers/digest-client.ts';
import { logLines, startProcess, type Running } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';

const TOKEN = 'workers-test-admin-token-0123456789';
const THRESHOLD = 20;
const YEA = '805ec0123456';
const UA = `Yealink SIP-T46S 66.86.0.15 ${YEA.match(/../g)!.join(':')}`;
const FILE = `/prov/${YEA}.cfg`;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a connection of its own (no keep-alive), so the primary hands each to the next worker. */
function request(base: string, path: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(base + path, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const api = (s: Running, method: string, path: string, body?: unknown) =>
  request(s.url, path, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

interface LogLine {
  pid: number;
  msg: string;
  path?: string;
  status?: number;
  ip?: string;
}

const lines = (s: Running) => logLines<LogLine>(s);

/** The pids that logged a request line for `path` with `status`, in order; waits for lines still in the pipe. */
async function servedBy(s: Running, path: string, status: number, count: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const pids = lines(s).filter((l) => l.msg === 'request' && l.path === path && l.status === status).map((l) => l.pid);
    if (pids.length >= count) return pids;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`fewer than ${count} request lines for ${path} ${status}`);
}

test('two workers share the Digest nonce-counts, the scan guard and fetch records, and stop on SIGTERM', async (t) => {
  // Three processes to start and a few dozen requests, on a machine other tests share.
  t.timeout(240_000);
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess({
    PROV_DATA_DIR: dataDir,
    PROV_WORKERS: '2',
    PROV_ADMIN_TOKEN: TOKEN,
    PROV_CLAIM_MINUTES: '0',
    PROV_SCAN_THRESHOLD: String(THRESHOLD),
    PROV_SWEEP_MINUTES: '0',
  }, 120_000);
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await s.stop();
  });
  // Both workers are up before anything is measured: each logs its own "listening".
  for (let i = 0; i < 400 && new Set(lines(s).filter((l) => l.msg === 'listening').map((l) => l.pid)).size < 2; i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const workers = new Set(lines(s).filter((l) => l.msg === 'listening').map((l) => l.pid));
  t.is(workers.size, 2, 'two workers listen');

  t.is((await api(s, 'POST', '/api/extensions', { number: '1001', secret: 'Worker-Secret-1', server: { host: 'pbx.example.com' } })).status, 201);
  t.is((await api(s, 'POST', '/api/devices', { mac: YEA, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] })).status, 201);
  const credentials = JSON.parse((await api(s, 'GET', `/api/devices/${YEA}/credentials`)).body);
  // Workers hand these use cases to the primary: its refusals come back typed, on either worker.
  for (let i = 0; i < 2; i++) {
    const duplicate = await api(s, 'POST', '/api/extensions', { number: '1001', secret: 'Other-Secret-9', server: { host: 'pbx.example.com' } });
    t.is(duplicate.status, 409);
    t.is(JSON.parse(duplicate.body).error.code, 'extension-exists');
    const inUse = await api(s, 'DELETE', '/api/extensions/1001');
    t.is(inUse.status, 409);
    t.is(JSON.parse(inUse.body).error.code, 'extension-in-use');
  }

  // Challenge and answer on separate connections, until a pair was split between the workers.
  let split = false;
  let answers = 0;
  let lastAuthorization = '';
  for (let i = 0; i < 10 && !split; i++) {
    const challenged = await request(s.url, FILE);
    t.is(challenged.status, 401);
    const challenge = digestChallenge(challenged.headers['www-authenticate'], 'SHA-256')!;
    lastAuthorization = digestAuthorization({ credentials, method: 'GET', uri: FILE, challenge });
    const served = await request(s.url, FILE, { headers: { 'user-agent': UA, authorization: lastAuthorization } });
    t.is(served.status, 200);
    t.true(served.body.includes('account.1.password = Worker-Secret-1'));
    answers++;
    const challengers = await servedBy(s, FILE, 401, answers);
    const servers = await servedBy(s, FILE, 200, answers);
    split = challengers.at(-1) !== servers.at(-1);
  }
  t.true(split, 'a challenge issued by one worker was answered on the other');

  // The same answer again, on each worker in turn: a replayed nonce-count is refused on both.
  const before = lines(s).filter((l) => l.path === FILE && l.status === 401).length;
  for (let i = 0; i < 4; i++) {
    const replayed = await request(s.url, FILE, { headers: { 'user-agent': UA, authorization: lastAuthorization } });
    t.is(replayed.status, 401, 'a replay is challenged, not served');
  }
  const replayers = (await servedBy(s, FILE, 401, before + 4)).slice(before);
  t.is(new Set(replayers).size, 2, 'the replays reached both workers');

  // The fetches above are recorded, coalesced, and shown by whichever worker answers the API.
  const device = JSON.parse((await api(s, 'GET', `/api/devices/${YEA}`)).body);
  t.is(device.status, 'synced');
  t.like(device.lastFetch, { file: `${YEA}.cfg`, userAgent: UA });

  // Unknown MACs from one address, spread over both workers: the threshold counts them all.
  // (The replays above struck too: each is a failed authentication. The bare
  // requests for the phone's credential file did not: the phone answered each
  // with its credentials, on whichever worker.)
  const struck = 4;
  const scanned: number[] = [];
  for (let i = 0; scanned.length < THRESHOLD - struck - 1; i++) {
    const r = await request(s.url, `/prov/805ec0ff00${i.toString(16).padStart(2, '0')}.cfg`);
    scanned.push(r.status);
  }
  t.deepEqual(scanned, Array(THRESHOLD - struck - 1).fill(404), 'below the threshold: not found');
  const crossing = await request(s.url, '/prov/805ec0ffffff.cfg');
  t.is(crossing.status, 404, 'the strike that reaches the threshold is still answered');
  const refused: number[] = [];
  for (let i = 0; i < 4; i++) refused.push((await request(s.url, `/prov/805ec0eeee0${i}.cfg`)).status);
  t.deepEqual(refused, [429, 429, 429, 429], 'past the threshold every worker refuses');
  const refusers = new Set(lines(s).filter((l) => l.msg === 'request' && l.status === 429).map((l) => l.pid));
  t.is(refusers.size, 2, 'the refusals came from both workers');
  // A phone of the blocked address still gets its challenge, and is served once it answers it.
  const again = await request(s.url, FILE);
  t.is(again.status, 401);
  const answer = digestAuthorization({ credentials, method: 'GET', uri: FILE, challenge: digestChallenge(again.headers['www-authenticate'], 'MD5')! });
  t.is((await request(s.url, FILE, { headers: { 'user-agent': UA, authorization: answer } })).status, 200);

  // A template reload asked of a worker runs in the primary and answers once every worker has reloaded;
  // ?full=true reaches it too (nothing changed, so only a full one renders the device).
  const reloaded = await api(s, 'POST', '/api/templates/reload?full=true');
  t.is(reloaded.status, 200, reloaded.body);
  t.deepEqual(JSON.parse(reloaded.body), {
    changedFiles: 0,
    changedDevices: 0,
    renderedDevices: 1,
    renderedExtensions: 1,
    full: true,
    unmatchedFiles: [],
  });
  const audit = JSON.parse((await api(s, 'GET', '/api/audit?action=templates.reloaded')).body);
  t.is(audit.length, 1, 'the reload is audited once');

  stopped = true;
  t.is(await s.stop(), 0, 'SIGTERM: every worker and the primary exit cleanly');
  const stoppedWorkers = lines(s).filter((l) => l.msg === 'worker stopped').map((l) => l.pid);
  t.deepEqual(stoppedWorkers.sort(), [...workers].sort(), 'both workers were stopped by the primary');
});
