// Two instances over one store (two SQLite connections to one file), both
// hearing the same committed change: the per-device lease and the outcome's
// change key let exactly one NOTIFY reach the phone. Also: what the bus
// carries for each outcome, and which committed writes concern the notifier.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import test from 'ava';
import pino from 'pino';
import { loadConfig } from '../../server/config.ts';
import type { DeviceRecord } from '../../server/domain/device.ts';
import type { Mac } from '../../server/domain/mac.ts';
import { createSecretBox } from '../../server/domain/secret-box.ts';
import { changedDevices } from '../../server/notify/changed-devices.ts';
import { openNotifier } from '../../server/notify/open-notifier.ts';
import { createEventBus, type ProvEvent } from '../../server/provisioning/change/events.ts';
import { secretContext } from '../../server/domain/seal-contexts.ts';
import { holdCatalog, loadCatalog } from '../../server/render/catalog.ts';
import { openSqliteStore } from '../../server/storage/sqlite-store.ts';
import type { WriteOp } from '../../server/storage/store.ts';
import { ROOT } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';
import { notifyTransactions, startSipp } from '../helpers/sip-peers.ts';

const AT = '2024-05-01T10:00:00.000Z';
const MAC = '805ec0a1b2c3' as Mac;
const catalog = holdCatalog(loadCatalog({ root: ROOT, overrideDir: null, publicUrl: 'http://prov.example.com' }));
const silent = pino({ level: 'silent' });

function device(over: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    mac: MAC, vendor: 'yealink', model: 'T46S', label: null, lines: [{ line: 1, extension: '1001' }], configVersion: 2,
    fetchedVersion: 1, lastFetch: { at: AT, ip: '127.0.0.1', userAgent: 'Yealink', file: `${MAC}.cfg` },
    provPasswordSealed: 'x', claimUntil: null, createdAt: AT, updatedAt: AT, rev: 1, ...over,
  };
}

const putRender = (owner: string, file: string, version: number): WriteOp => ({
  op: 'put-render', render: { owner, file, version, renderedAt: AT, sealedBody: 'sealed' },
});

test('two instances that both hear a change send the phone one NOTIFY', async (t) => {
  const sipp = await startSipp(t, 'phone-yealink.xml', { calls: 1 });
  const dir = tempDir();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const box = createSecretBox(randomBytes(32));
  const config = loadConfig({ PROV_NOTIFY: 'direct', PROV_NOTIFY_JITTER_MS: '300', PROV_NOTIFY_T1_MS: '50', PROV_NOTIFY_TIMER_F_MS: '2000' }).notify;
  const bus = createEventBus((err) => t.fail(String(err)));
  const heard: ProvEvent[] = [];
  bus.subscribe((e) => void (e.type === 'notify-outcome' && heard.push(e)));

  const stores = [openSqliteStore(dir), openSqliteStore(dir)];
  t.teardown(async () => Promise.all(stores.map((s) => s.close())));
  const record = device({ sipContact: `sip:127.0.0.1:${sipp.port}` });
  await stores[0]!.commit([
    { op: 'insert-extension', record: {
      number: '1001', displayName: '1001', authUsername: '1001', secretSealed: box.seal('Some-Secret-1', secretContext('1001')),
      secretVersion: 1, server: { host: '127.0.0.1', port: 5060, transport: 'udp' }, outboundProxy: null, label: null,
      createdAt: AT, updatedAt: AT, rev: 1 } },
    { op: 'insert-device', record },
  ]);
  const notifiers = await Promise.all(
    stores.map((store, i) => openNotifier({ config, store, box, catalog, events: bus, log: silent, holder: `instance-${i}` })),
  );
  t.teardown(async () => Promise.all(notifiers.map((n) => n!.close())));

  bus.publish({ type: 'committed', ops: [{ op: 'update-device', record, expectRev: 1 }, putRender(MAC, `${MAC}.cfg`, 2)] });
  t.is(await sipp.exited, 0);
  for (let i = 0; i < 100 && notifiers.some((n) => n!.notifier.pending() > 0); i++) await new Promise((r) => setTimeout(r, 50));
  t.is(notifyTransactions(sipp.received()).length, 1, 'one NOTIFY for one change');
  const stored = await stores[1]!.getDevice(MAC);
  t.like(stored!.notify, { state: 'acknowledged', code: 200, key: 'v2' });

  const last = heard.at(-1)!;
  t.deepEqual(Object.keys(last).sort(), ['mac', 'notify', 'type']);
  t.is(last.type, 'notify-outcome');
  if (last.type === 'notify-outcome') {
    t.deepEqual(Object.keys(last.notify).sort(), ['at', 'attempts', 'code', 'state', 'target', 'via']);
    t.like(last.notify, { state: 'acknowledged', via: 'direct', target: `udp:127.0.0.1:${sipp.port}`, code: 200, attempts: 1 });
  }
  t.deepEqual(
    heard.map((e) => (e.type === 'notify-outcome' ? e.notify.state : '')).filter((s) => s !== 'queued'),
    ['sent', 'acknowledged'],
  );
});

test('only the credential-bearing file of a desk phone counts; softphone files and other files do not', (t) => {
  const profiles = catalog.current().profiles;
  const yea = device();
  const poly = device({ mac: '0004f2a1b2c5' as Mac, vendor: 'polycom' });
  const ops: WriteOp[] = [
    { op: 'update-device', record: yea, expectRev: 1 },
    putRender(yea.mac, `${yea.mac}.boot`, 3),
    putRender(yea.mac, `${yea.mac}.cfg`, 3),
    { op: 'update-device', record: poly, expectRev: 1 },
    putRender(poly.mac, `${poly.mac}.cfg`, 5),
    putRender(poly.mac, `${poly.mac}-sip.cfg`, 5),
    putRender('extension:1001', 'zoiper.xml', 4),
    putRender('vendor:yealink', 'y000000000066.cfg', 2),
  ];
  t.deepEqual(changedDevices(ops, profiles).map((c) => [c.mac, c.version]), [[yea.mac, 3], [poly.mac, 5]]);
  t.deepEqual(changedDevices([putRender('extension:1001', 'zoiper.xml', 4)], profiles), [], 'softphone links are never notified');
  t.deepEqual(changedDevices([{ op: 'delete-device', mac: yea.mac, expectRev: 1 }, putRender(yea.mac, `${yea.mac}.cfg`, 3)], profiles), []);
});
