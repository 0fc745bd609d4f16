// Firmware learnt from phones is stored together, off the fetch: nothing is
// written until the flush, then every queued phone's firmware and an audit
// event each; an admin's change made meanwhile is kept (the batch is planned
// again), and a phone deleted, re-created as another vendor or already at
// that firmware is left alone. On a real SQLite store.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import pino from 'pino';
import { provPasswordContext } from '../../../server/domain/seal-contexts.ts';
import { createSecretBox } from '../../../server/domain/secret-box.ts';
import { holdCatalog } from '../../../server/render/catalog.ts';
import { createChangeRunner } from '../../../server/provisioning/change/change-runner.ts';
import { createFirmwareLearning } from '../../../server/provisioning/phones/firmware-learning.ts';
import { createRerenderer } from '../../../server/provisioning/fleet/rerender.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import { tempDir } from '../../helpers/server.ts';
import { catalog, device } from '../../render/fixtures.ts';

const MACS = ['805ec0200001', '805ec0200002', '805ec0200003', '805ec0200004'];
const AT = '2024-05-01T10:00:00.000Z';

test('learnt firmware waits for the flush, then lands for every phone, with admin changes made meanwhile kept', async (t) => {
  const store = openSqliteStore(tempDir());
  t.teardown(() => store.close());
  const box = createSecretBox(randomBytes(32));
  const rerenderer = createRerenderer({ store, box, catalog: holdCatalog(catalog()), clock: () => new Date(AT) });
  const runChange = createChangeRunner(store, rerenderer.hook);
  for (const mac of MACS) {
    await runChange(async () => ({ ops: [{ op: 'insert-device', record: { ...device('yealink', mac, 'T46S', []), provPasswordSealed: box.seal('prov-pass', provPasswordContext(mac)), firmware: '66.86.0.1' } }], result: undefined }));
  }
  const learning = createFirmwareLearning({ store, runChange, log: pino({ level: 'silent' }), flushMs: 60_000 });
  const learnt = (firmware: string, vendor = 'yealink') => ({ firmware, vendor, ip: '192.0.2.9', at: AT });
  const [a, b, c, d] = MACS as [string, string, string, string];
  learning.add(a, learnt('66.86.0.10'));
  learning.add(a, learnt('66.86.0.15'));
  learning.add(b, learnt('66.86.0.15'));
  learning.add(c, learnt('66.86.0.1'));
  learning.add(d, learnt('6.4.3.1', 'polycom'));
  t.is((await store.getDevice(a))!.firmware, '66.86.0.1', 'nothing is written before the flush');

  // An admin relabels b before the flush: the batch's first plan is refused and planned again.
  const fresh = (await store.getDevice(b))!;
  await runChange(async () => ({ ops: [{ op: 'update-device', record: { ...fresh, label: 'lobby', rev: fresh.rev + 1 }, expectRev: fresh.rev }], result: undefined }));
  await learning.flush();

  t.is((await store.getDevice(a))!.firmware, '66.86.0.15', 'the latest learnt for a phone wins');
  t.like(await store.getDevice(b), { firmware: '66.86.0.15', label: 'lobby' });
  t.is((await store.getDevice(c))!.firmware, '66.86.0.1');
  t.is((await store.getDevice(d))!.firmware, '66.86.0.1', 'another vendor\'s User-Agent teaches a Yealink nothing');
  const events = (await store.listAudit({ action: 'device.learnt', limit: 100 })).map((e) => e.target).sort();
  t.deepEqual(events, [`device:${a}`, `device:${b}`]);
  await learning.flush();
  t.is((await store.listAudit({ action: 'device.learnt', limit: 100 })).length, 2, 'an empty flush writes nothing');
});
