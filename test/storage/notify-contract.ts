// The Store contract for NOTIFY outcomes: kept apart from the device row, so
// that an admin's update-device and a recorded outcome never overwrite each
// other; filtered with listDevices({notify}); gone with the device.
import type { TestFn } from 'ava';
import type { NotifyRecord } from '../../server/domain/notify.ts';
import { contractTests, dev, ext, type Open } from './store-contract.ts';

const A = '805ec0000001';
const B = '805ec0000002';
const n = (state: NotifyRecord['state'], over: Partial<NotifyRecord> = {}): NotifyRecord => ({
  state, via: 'direct', target: 'udp:10.0.0.7:5060', at: '2024-05-01T10:00:00.000Z', code: null, attempts: 1, key: 'v2', ...over,
});

export function notifyContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('notify: a recorded outcome shows on the device, and a new one replaces it', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) }]);
    t.is((await s.getDevice(A))!.notify, undefined, 'never notified: no outcome at all');
    await s.recordNotify(A, n('sent'));
    await s.recordNotify(A, n('acknowledged', { code: 200 }));
    t.deepEqual((await s.getDevice(A))!.notify, n('acknowledged', { code: 200 }));
  });

  it('notify: update-device leaves the outcome alone, and the outcome leaves the edit alone', async (t, s) => {
    await s.commit([{ op: 'insert-device', record: dev(A) }]);
    const planned = (await s.getDevice(A))!;
    await s.recordNotify(A, n('failed', { code: 481 }));
    await s.commit([{ op: 'update-device', record: { ...planned, label: 'Desk', rev: 2 }, expectRev: 1 }]);
    const after = (await s.getDevice(A))!;
    t.is(after.label, 'Desk');
    t.deepEqual(after.notify, n('failed', { code: 481 }));
  });

  it('notify: listDevices filters by the stored state; an unknown device is a no-op; delete takes it along', async (t, s) => {
    await s.commit([{ op: 'insert-device', record: dev(A) }, { op: 'insert-device', record: dev(B) }]);
    await s.recordNotify(A, n('failed'));
    await s.recordNotify(B, n('acknowledged'));
    await s.recordNotify('805ec0ffffff', n('failed'));
    t.deepEqual((await s.listDevices({ notify: 'failed' })).map((d) => d.mac), [A]);
    t.deepEqual((await s.listDevices({ notify: 'acknowledged' })).map((d) => d.mac), [B]);
    t.is(await s.getDevice('805ec0ffffff'), null);
    await s.commit([{ op: 'delete-device', mac: A, expectRev: 1 }]);
    t.deepEqual(await s.listDevices({ notify: 'failed' }), []);
  });
}
