// The repair path for a change interrupted between its write and its
// re-render, on SQLite. The interruption is made by hand: the extension's new
// sealed secret is committed straight into the store with none of the render
// writes that belong with it, which is what a crash (or, on MongoDB without a
// replica set, a lost connection) between the two would leave. Start-up and
// the render sweep must both complete such a change; the sweep only on the
// instance holding the lease.
import test, { type ExecutionContext } from 'ava';
import { createSecretBox } from '../../../server/domain/secret-box.ts';
import { SWEEP_LEASE } from '../../../server/jobs/sweep-job.ts';
import { secretContext } from '../../../server/domain/seal-contexts.ts';
import { loadSecretKey } from '../../../server/storage/secret-key.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import type { Store } from '../../../server/storage/store.ts';
import { basic, phoneCredentials, type PhoneCredentials } from '../../helpers/phone.ts';
import { extensionBody, startServer, tempDir, type TestServer } from '../../helpers/server.ts';
import { cfgGet, readYealinkCfg } from '../../helpers/yealink-cfg-reader.ts';

const EXT = '1001';
const YEA = '805ec0123456';
const UA = 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:12:34:56';
const OLD = 'Old-Secret-1';
const NEW = 'New-Secret-2';
// Sweeps only when a test asks, so no scheduled tick can repair before the test looks. The
// public URL is pinned: a restart on a new port would otherwise re-render every file by itself.
const ENV = { PROV_ALLOW_BASIC_OVER_HTTP: 'true', PROV_SWEEP_MINUTES: '0', PROV_PUBLIC_URL: 'http://prov.example.com' };

async function must(p: Promise<{ status: number; text: string }>, status: number) {
  const r = await p;
  if (r.status !== status) throw new Error(`setup: ${r.status} ${r.text}`);
}

/** An extension with one Yealink on it that has fetched its config once. */
async function provisioned(s: TestServer): Promise<PhoneCredentials> {
  await must(s.api('POST', '/api/extensions', { body: extensionBody(EXT, { secret: OLD }) }), 201);
  const body = { mac: YEA, vendor: 'yealink', model: 'T46S', lines: [{ extension: EXT }] };
  await must(s.api('POST', '/api/devices', { body }), 201);
  return phoneCredentials(s, YEA);
}

/** The password in the phone's MAC file, fetched as the phone does. */
async function fetchedSecret(t: ExecutionContext, s: TestServer, creds: PhoneCredentials): Promise<string> {
  const res = await fetch(`${s.url}/prov/${YEA}.cfg`, { headers: { 'user-agent': UA, authorization: basic(creds) } });
  t.is(res.status, 200);
  return cfgGet(readYealinkCfg(await res.text()), 'account.1.password');
}

const device = async (s: TestServer) => (await s.api('GET', `/api/devices/${YEA}`)).json;

/** Commits only the secret change, as a crash between the write and the re-render leaves it. */
async function interruptedSecretChange(store: Store, dataDir: string, secret: string): Promise<void> {
  const box = createSecretBox(loadSecretKey(null, dataDir));
  const ext = (await store.getExtension(EXT))!;
  await store.commit([
    {
      op: 'update-extension',
      record: { ...ext, secretSealed: box.seal(secret, secretContext(EXT)), secretVersion: ext.secretVersion + 1, rev: ext.rev + 1 },
      expectRev: ext.rev,
    },
  ]);
}

test('start-up completes a secret change that was interrupted before its re-render', async (t) => {
  const dataDir = tempDir();
  const first = await startServer({ dataDir, env: ENV });
  const creds = await provisioned(first);
  t.is(await fetchedSecret(t, first, creds), OLD);
  const before = await device(first);
  t.is(before.status, 'synced');
  await first.close();

  const store = openSqliteStore(dataDir);
  await interruptedSecretChange(store, dataDir, NEW);
  await store.close();

  const again = await startServer({ dataDir, env: ENV });
  t.teardown(again.close);
  t.true(again.logs.some((l) => l.includes('stored renders brought up to date')), 'start-up re-rendered');
  const after = await device(again);
  t.is(after.configVersion, before.configVersion + 1, 'the re-render bumped configVersion');
  t.is(after.status, 'pending', 'the admin sees the phone has not fetched the new secret yet');
  t.is(await fetchedSecret(t, again, creds), NEW, "the phone's next fetch carries the new secret");
  t.is((await device(again)).status, 'synced');
});

test('the sweep completes an interrupted change on a running server, unless another instance holds the lease', async (t) => {
  let now = Date.parse('2024-05-01T10:00:00.000Z');
  const s = await startServer({ env: ENV, clock: () => new Date(now) });
  t.teardown(s.close);
  const creds = await provisioned(s);
  t.is(await fetchedSecret(t, s, creds), OLD);
  const before = await device(s);

  // Another instance, on its own connection, crashes between the write and the re-render.
  const other = openSqliteStore(s.dataDir);
  t.teardown(() => other.close());
  await interruptedSecretChange(other, s.dataDir, NEW);
  t.is(await fetchedSecret(t, s, creds), OLD, 'a fetch reads the stored render: the interruption is visible');

  const iso = (ms: number) => new Date(ms).toISOString();
  t.true(await other.acquireLease(SWEEP_LEASE, 'other-instance', iso(now), iso(now + 5 * 60_000)));
  t.is(await s.sweep.runOnce(), 'not-leader', 'the lease is held elsewhere');
  t.is((await device(s)).configVersion, before.configVersion, 'so this instance changed nothing');
  t.is(await fetchedSecret(t, s, creds), OLD);

  // The other instance stops renewing; once its lease lapses this one takes over.
  now += 6 * 60_000;
  t.is(await s.sweep.runOnce(), 'swept');
  const after = await device(s);
  t.is(after.configVersion, before.configVersion + 1);
  t.is(after.status, 'pending');
  t.is(await fetchedSecret(t, s, creds), NEW);
  t.false(await other.acquireLease(SWEEP_LEASE, 'other-instance', iso(now), iso(now + 5 * 60_000)), 'this instance holds it now');

  t.is(await s.sweep.runOnce(), 'swept', 'the holder renews its own lease');
  t.is((await device(s)).configVersion, after.configVersion, 'a sweep with nothing stale writes nothing');
});
