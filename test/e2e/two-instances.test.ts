// Two server instances over one data directory: two SQLite connections to one
// file, as two processes behind a load balancer would have. Nothing an
// instance serves may come from its own memory: once an API call on one
// instance has returned, every fetch on the other sees its effect. The render
// sweep runs on whichever instance holds the lease, never on both.
import test, { type ExecutionContext } from 'ava';
import { FETCH_FLUSH_MS } from '../../server/provisioning/phones/fetch-records.ts';
import { basic, phoneCredentials, type PhoneCredentials } from '../helpers/phone.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cfgGet, readYealinkCfg } from '../helpers/yealink-cfg-reader.ts';

const EXT = '1001';
const YEA = '805ec0123456';
const YEA2 = '805ec0abcdef';
const colons = (mac: string) => mac.match(/../g)!.join(':');
const ua = (mac: string) => `Yealink SIP-T46S 66.86.0.15 ${colons(mac)}`;
// Sweeps only on request, so a scheduled tick cannot take the lease in the middle of a test.
// One public URL, as behind a balancer: instances on their own ports would render different files.
const ENV = { PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0', PROV_PUBLIC_URL: 'http://prov.example.com' };

async function pair(t: ExecutionContext): Promise<[TestServer, TestServer]> {
  const dataDir = tempDir();
  const a = await startServer({ dataDir, env: ENV });
  t.teardown(a.close);
  // B starts on A's data: the same key file, the same admin token, the same database.
  const b = await startServer({ dataDir, env: ENV });
  t.teardown(b.close);
  t.false(b.logs.some((l) => l.includes('stored renders brought up to date')), 'B renders what A rendered: nothing to redo');
  return [a, b];
}

async function must(p: Promise<{ status: number; text: string }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
}

async function addPhone(s: TestServer, mac: string) {
  await must(s.api('POST', '/api/devices', { body: { mac, vendor: 'yealink', model: 'T46S', lines: [{ extension: EXT }] } }), 201);
}

/** The password a phone gets in its MAC file from `s`, with credentials or (null) through the claim window. */
async function fetchedSecret(t: ExecutionContext, s: TestServer, mac: string, creds: PhoneCredentials | null) {
  const headers: Record<string, string> = { 'user-agent': ua(mac) };
  if (creds) headers.authorization = basic(creds);
  const res = await fetch(`${s.url}/prov/${mac}.cfg`, { headers });
  t.is(res.status, 200, `${mac}.cfg from ${s.url}`);
  return cfgGet(readYealinkCfg(await res.text()), 'account.1.password');
}

const device = async (s: TestServer, mac: string) => (await s.api('GET', `/api/devices/${mac}`)).json;

/** Reads until `done` holds or a few flush intervals have passed, then returns the last read. */
async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 5 * FETCH_FLUSH_MS;
  let value = await read();
  while (!done(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

test('a secret changed through instance A is served by instance B on the very next fetch', async (t) => {
  const [a, b] = await pair(t);
  await must(a.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: 'First-Secret-1' }) }), 201);
  await addPhone(a, YEA);
  const creds = await phoneCredentials(a, YEA);
  t.is(await fetchedSecret(t, b, YEA, creds), 'First-Secret-1');

  for (const secret of ['Second-Secret-2', 'Third-Secret-3']) {
    const changed = await a.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret } });
    t.is(changed.status, 200);
    t.is(await fetchedSecret(t, b, YEA, creds), secret, 'B serves what A committed, with no delay');
  }
  const generated = await a.api('POST', `/api/extensions/${EXT}/secret/generate`);
  t.is(generated.status, 200);
  const revealed = (await b.api('GET', `/api/extensions/${EXT}/secret`)).json.secret;
  t.is(await fetchedSecret(t, b, YEA, creds), revealed, 'a generated secret too, revealed through B');
});

test('a device created on B is fetchable on A, and each sees the status the other recorded', async (t) => {
  const [a, b] = await pair(t);
  await must(b.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: 'Shared-Secret-1' }) }), 201);
  await addPhone(b, YEA2);
  t.is((await device(a, YEA2)).status, 'never', 'A lists the device B created');

  // B opened the claim window; A honours it, because it lives in the store.
  t.is(await fetchedSecret(t, a, YEA2, null), 'Shared-Secret-1');
  // A writes its fetch records coalesced, within FETCH_FLUSH_MS; B reads them from the store.
  const seen = await settled(() => device(b, YEA2), (d) => d.status !== 'never');
  t.is(seen.status, 'synced', 'the fetch A recorded shows on B');
  t.like(seen.lastFetch, { file: `${YEA2}.cfg`, userAgent: ua(YEA2) });
  t.is(seen.fetchedVersion, seen.configVersion);

  // A secret change on B makes the device pending on A; a fetch on A with credentials syncs it for B.
  const creds = await phoneCredentials(b, YEA2);
  await must(b.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Shared-Secret-2' } }), 200);
  t.is((await device(a, YEA2)).status, 'pending');
  t.is(await fetchedSecret(t, a, YEA2, creds), 'Shared-Secret-2');
  t.is((await settled(() => device(b, YEA2), (d) => d.status !== 'pending')).status, 'synced');
  t.is((await device(b, YEA2)).claimUntil, null, 'the authenticated fetch on A closed the window B opened');
});

test('changes racing on both instances all land, re-planned rather than lost', async (t) => {
  const [a, b] = await pair(t);
  await must(a.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: 'Race-Secret-0' }) }), 201);
  await addPhone(a, YEA);
  const creds = await phoneCredentials(a, YEA);
  const [secret, label] = await Promise.all([
    a.api('PUT', `/api/extensions/${EXT}/secret`, { body: { secret: 'Race-Secret-1' } }),
    b.api('PATCH', `/api/extensions/${EXT}`, { body: { label: 'front desk' } }),
  ]);
  t.is(secret.status, 200, secret.text);
  t.is(label.status, 200, label.text);
  t.like((await a.api('GET', `/api/extensions/${EXT}`)).json, { label: 'front desk' });
  t.is(await fetchedSecret(t, b, YEA, creds), 'Race-Secret-1');
  t.is(await fetchedSecret(t, a, YEA, creds), 'Race-Secret-1');
});

test('the render sweep runs on the instance holding the lease and is skipped on the other', async (t) => {
  const [a, b] = await pair(t);
  t.is(await a.sweep.runOnce(), 'swept');
  t.is(await b.sweep.runOnce(), 'not-leader');
  t.is(await a.sweep.runOnce(), 'swept', 'A renews its own lease');
});
