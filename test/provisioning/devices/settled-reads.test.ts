// With workers, a phone's fetch record sits in the worker that answered it
// until the worker hands it over. Reads that show fetch state (a device, the
// device list, an extension with its phones) wait for every worker to hand
// over first, so a read made after the phone's answer shows that fetch. Here
// on a real SQLite store, with the worker's queue held until `settled` runs.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import test from 'ava';
import pino from 'pino';
import { createSecretBox } from '../../../server/domain/secret-box.ts';
import type { Actor } from '../../../server/domain/token.ts';
import type { Mac } from '../../../server/domain/mac.ts';
import { holdCatalog } from '../../../server/render/catalog.ts';
import { createChangeRunner } from '../../../server/provisioning/change/change-runner.ts';
import { createDevices } from '../../../server/provisioning/devices/devices.ts';
import { createExtensions } from '../../../server/provisioning/extensions/extensions.ts';
import { createFetchCoalescer, withCoalescedFetches } from '../../../server/provisioning/phones/fetch-records.ts';
import { createRerenderer } from '../../../server/provisioning/fleet/rerender.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import type { FetchRecord } from '../../../server/storage/store.ts';
import { tempDir } from '../../helpers/server.ts';
import { catalog } from '../../render/fixtures.ts';

const MAC = '805ec0a1b2c6' as Mac;
const ADMIN: Actor = { name: 'test', role: 'admin', tokenId: null };

async function instance(t: import('ava').ExecutionContext) {
  const dir = tempDir();
  const raw = openSqliteStore(dir);
  t.teardown(async () => {
    await raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const box = createSecretBox(randomBytes(32));
  const holder = holdCatalog(catalog());
  const clock = () => new Date();
  const coalescer = createFetchCoalescer(raw, pino({ level: 'silent' }), 60_000);
  // The primary's view: reads flush what has reached its queue.
  const store = withCoalescedFetches(raw, coalescer.add, coalescer.flush);
  // The worker that answered the phone: its records wait in here until handed over.
  const held: [string, FetchRecord][] = [];
  const worker = withCoalescedFetches(raw, (mac, fetch) => void held.push([mac, fetch]));
  const settled = async () => {
    for (const [mac, fetch] of held.splice(0)) coalescer.add(mac, fetch);
  };
  const runChange = createChangeRunner(store, createRerenderer({ store, box, catalog: holder, clock }).hook);
  const extensions = createExtensions({ store, settled, box, clock, runChange });
  const devices = createDevices({ store, settled, catalog: holder, clock, runChange, box, claimMinutes: 0 });
  await extensions.create(ADMIN, { number: '1001', server: { host: 'pbx.example.com' } });
  await devices.create(ADMIN, { mac: MAC, vendor: 'yealink', model: 'T46S', lines: [{ extension: '1001' }] });
  const phoneFetches = async () => {
    const version = (await raw.getDevice(MAC))!.configVersion;
    await worker.recordFetch(MAC, { version, at: new Date().toISOString(), ip: '192.0.2.7', userAgent: 'Yealink SIP-T46S 66.86.0.15', file: `${MAC}.cfg`, credential: 'current' });
    t.is(held.length, 1, 'the record waits in the worker');
  };
  return { raw, extensions, devices, phoneFetches };
}

test('a device read after a phone was answered shows that fetch, though its worker still held the record', async (t) => {
  const { devices, phoneFetches } = await instance(t);
  t.is((await devices.get(MAC)).status, 'never');
  await phoneFetches();
  const shown = await devices.get(MAC);
  t.is(shown.status, 'synced');
  t.is(shown.lastFetch?.ip, '192.0.2.7');
});

test('so does the device list, and the extension with its phones', async (t) => {
  const { devices, extensions, phoneFetches } = await instance(t);
  await phoneFetches();
  t.deepEqual((await devices.page({}, { limit: 10 })).items.map((d) => [d.mac, d.status]), [[MAC, 'synced']]);
  await extensions.generateSecret(ADMIN, '1001');
  t.is((await devices.get(MAC)).status, 'pending', 'a new secret is a new config');
  await phoneFetches();
  t.deepEqual((await extensions.get('1001')).devices.map((d) => [d.mac, d.status]), [[MAC, 'synced']]);
});
