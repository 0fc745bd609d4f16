// check-sync under PROV_WORKERS=2: the notifier runs in the primary. An
// admin's sync request lands on a worker and is passed to it; a secret change
// committed on a worker reaches it as a relayed event. A sipp phone answers.
import fs from 'node:fs';
import test from 'ava';
import { startProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';
import { notifyTransactions, startSipp } from '../helpers/sip-peers.ts';
import { until } from '../helpers/until.ts';

const TOKEN = 'workers-notify-admin-token-0123456789';
const MAC = '805ec0a1b2c3';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3';

test('with two workers, sync requests and secret changes reach the phone through the primary', async (t) => {
  t.timeout(240_000);
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 2 });
  const dataDir = tempDir();
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const s = await startProcess({
    PROV_DATA_DIR: dataDir,
    PROV_WORKERS: '2',
    PROV_ADMIN_TOKEN: TOKEN,
    PROV_SWEEP_MINUTES: '0',
    PROV_NOTIFY: 'direct',
    PROV_NOTIFY_JITTER_MS: '0',
    PROV_ALLOW_BASIC_OVER_HTTP: 'true',
  }, 120_000);
  t.teardown(async () => void (await s.stop()));
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  };
  const notifyState = async () => (await api('GET', `/api/devices/${MAC}`)).json?.notify;

  t.is((await api('POST', '/api/extensions', { number: '1001', secret: 'First-Secret-1', server: { host: 'pbx.example.com' } })).status, 201);
  t.is((await api('POST', '/api/devices', {
    mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }], sipContact: `sip:127.0.0.1:${sipp.port};transport=udp`,
  })).status, 201);

  // Asked of whichever worker answers; sent by the primary.
  const sync = await api('POST', `/api/devices/${MAC}/sync`);
  t.is(sync.status, 202);
  t.is(sync.json.devices[0].mac, MAC);
  const first = await until('the first NOTIFY acknowledged', async () => ((await notifyState())?.state === 'acknowledged' ? notifyState() : null));
  t.like(first, { via: 'direct', code: 200, attempts: 1 });

  // The phone fetches once (only phones that have are pushed to), then a secret change is pushed.
  const { password } = (await api('GET', `/api/devices/${MAC}/credentials`)).json;
  const basic = `Basic ${Buffer.from(`${MAC}:${password}`).toString('base64')}`;
  t.is((await fetch(`${s.url}/prov/${MAC}.cfg`, { headers: { 'user-agent': UA, authorization: basic } })).status, 200);
  const before = first.at;
  t.is((await api('PUT', '/api/extensions/1001/secret', { secret: 'Second-Secret-2' })).status, 200);
  const second = await until('the change pushed', async () => {
    const n = await notifyState();
    return n?.state === 'acknowledged' && n.at !== before ? n : null;
  });
  t.is(second.code, 200);
  t.is(await sipp.exited, 0, 'sipp took two check-syncs and answered both');
  t.is(notifyTransactions(sipp.received()).length, 2, 'one NOTIFY each, not one per process');
});
