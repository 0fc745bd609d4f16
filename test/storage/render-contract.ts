// The Store contract for what phones touch: rendered files, uploads, fetch
// records and the unassigned-device query. Written against the port only, so
// every adapter runs it unchanged.
import type { TestFn } from 'ava';
import { ClaimUnavailable, RevisionMismatch, type RenderRecord, type Store, type UploadRecord, type FetchRecord } from '../../server/storage/store.ts';
import { contractTests, dev, ext, type Open } from './store-contract.ts';
const A = '805ec0000001';
const B = '805ec0000002';

const render = (owner: string, file: string, over: Partial<RenderRecord> = {}): RenderRecord => ({
  owner, file, version: 1, renderedAt: '2024-05-01T10:00:00.000Z', sealedBody: `sealed:${owner}:${file}`, ...over,
});
const upload = (mac: string, file: string, over: Partial<UploadRecord> = {}): UploadRecord => ({
  mac, file, receivedAt: '2024-05-01T10:00:00.000Z', sealedBody: `sealed:${mac}:${file}`, ...over,
});
const fetchOf = (version: number, at = '2024-05-02T08:00:00.000Z'): FetchRecord => ({
  version, at, ip: '192.0.2.10', userAgent: 'Yealink SIP-T46S 66.86.0.15', file: `${A}.cfg`, credential: 'current',
});

export function renderContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  async function seed(s: Store) {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) },
      { op: 'insert-device', record: dev(B, [{ line: 1, extension: '1001' }]) },
    ]);
  }

  it('renders: put, replace, list by owner, delete', async (t, s) => {
    await seed(s);
    await s.commit([
      { op: 'put-render', render: render(A, `${A}.cfg`) },
      { op: 'put-render', render: render(A, `${A}.boot`) },
      { op: 'put-render', render: render('vendor:yealink', 'y000000000000.boot') },
    ]);
    const newer = render(A, `${A}.cfg`, { version: 2, sealedBody: 'sealed:newer' });
    await s.commit([{ op: 'put-render', render: newer }]);
    t.deepEqual(await s.getRender(A, `${A}.cfg`), newer);
    t.deepEqual((await s.listRenders(A)).map((r) => r.file).sort(), [`${A}.boot`, `${A}.cfg`]);
    t.deepEqual(await s.listRenders(B), []);
    await s.commit([{ op: 'delete-render', owner: A, file: `${A}.boot` }]);
    t.is(await s.getRender(A, `${A}.boot`), null);
    t.truthy(await s.getRender('vendor:yealink', 'y000000000000.boot'));
  });

  it('one new render put by several batches at once: every batch lands, and one of them is what stays', async (t, s) => {
    await seed(s);
    const versions = [1, 2, 3, 4, 5, 6];
    await Promise.all(versions.map((version) => s.commit([{ op: 'put-render', render: render(A, `${A}.cfg`, { version }) }])));
    t.true(versions.includes((await s.getRender(A, `${A}.cfg`))!.version));
    t.is((await s.listRenders(A)).length, 1);
  });

  it("a render's fingerprint is kept with it, and a render stored without one reads back without one", async (t, s) => {
    await seed(s);
    const kept = render(A, `${A}.cfg`, { fingerprint: 'fp-1' });
    await s.commit([{ op: 'put-render', render: kept }, { op: 'put-render', render: render(A, `${A}.boot`) }]);
    t.deepEqual(await s.getRender(A, `${A}.cfg`), kept);
    t.deepEqual(await s.listRenders(A), [render(A, `${A}.boot`), kept]);
    t.false('fingerprint' in (await s.getRender(A, `${A}.boot`))!);
    // Replaced by a render without one (a server from before fingerprints): none is left behind.
    await s.commit([{ op: 'put-render', render: render(A, `${A}.cfg`, { version: 2 }) }]);
    t.deepEqual(await s.getRender(A, `${A}.cfg`), render(A, `${A}.cfg`, { version: 2 }));
  });

  it('a deleted device takes its renders, uploads and fetch record with it', async (t, s) => {
    await seed(s);
    await s.commit([
      { op: 'put-render', render: render(A, `${A}.cfg`) },
      { op: 'put-upload', upload: upload(A, `${A}-phone.cfg`) },
    ]);
    await s.recordFetch(A, fetchOf(1));
    await s.commit([{ op: 'delete-device', mac: A, expectRev: 1 }]);
    t.deepEqual(await s.listRenders(A), []);
    t.deepEqual(await s.listUploads(A), []);
    // The same MAC coming back starts with no history.
    await s.commit([{ op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) }]);
    const back = await s.getDevice(A);
    t.is(back?.fetchedVersion, null);
    t.is(back?.lastFetch, null);
  });

  it('uploads: put, replace, list, delete; refused for an unknown device', async (t, s) => {
    await seed(s);
    await s.commit([{ op: 'put-upload', upload: upload(A, `${A}-phone.cfg`) }]);
    const newer = upload(A, `${A}-phone.cfg`, { sealedBody: 'sealed:newer', receivedAt: '2024-06-01T00:00:00.000Z' });
    await s.commit([{ op: 'put-upload', upload: newer }, { op: 'put-upload', upload: upload(A, `${A}-app.log`) }]);
    t.deepEqual(await s.getUpload(A, `${A}-phone.cfg`), newer);
    t.deepEqual((await s.listUploads(A)).map((u) => u.file).sort(), [`${A}-app.log`, `${A}-phone.cfg`]);
    await s.commit([{ op: 'delete-upload', mac: A, file: `${A}-app.log` }]);
    t.deepEqual((await s.listUploads(A)).map((u) => u.file), [`${A}-phone.cfg`]);
    await t.throwsAsync(s.commit([{ op: 'put-upload', upload: upload('0004f2000009', 'x-phone.cfg') }]));
    t.is(await s.getUpload('0004f2000009', 'x-phone.cfg'), null);
  });

  it('recordFetch sets fetchedVersion and lastFetch, and an admin edit does not undo it', async (t, s) => {
    await seed(s);
    await s.recordFetch(A, fetchOf(1));
    const fetched = await s.getDevice(A);
    t.is(fetched?.fetchedVersion, 1);
    t.deepEqual(fetched?.lastFetch, { at: fetchOf(1).at, ip: '192.0.2.10', userAgent: fetchOf(1).userAgent, file: `${A}.cfg`, credential: 'current' });
    // An update planned from a read taken before the fetch carries the old fetch state.
    await s.commit([{ op: 'update-device', record: dev(A, [{ line: 1, extension: '1001' }], { label: 'Desk', rev: 2 }), expectRev: 1 }]);
    const edited = await s.getDevice(A);
    t.is(edited?.label, 'Desk');
    t.is(edited?.fetchedVersion, 1);
    await s.recordFetch(A, fetchOf(2, '2024-05-03T08:00:00.000Z'));
    t.is((await s.getDevice(A))?.fetchedVersion, 2);
    t.is((await s.listDevices()).find((d) => d.mac === A)?.lastFetch?.at, '2024-05-03T08:00:00.000Z');
    // A fetch for a device that is gone records nothing and does not fail.
    await s.recordFetch('0004f2000009', fetchOf(1));
    t.is(await s.getDevice('0004f2000009'), null);
  });

  it('recordFetch keeps which password the fetch brought', async (t, s) => {
    await seed(s);
    await s.recordFetch(A, { ...fetchOf(1), credential: 'previous' });
    t.is((await s.getDevice(A))?.lastFetch?.credential, 'previous');
    await s.recordFetch(A, { ...fetchOf(2), credential: 'current' });
    t.is((await s.getDevice(A))?.lastFetch?.credential, 'current');
    await s.recordFetch(A, { ...fetchOf(3), credential: 'claim' });
    t.is((await s.getDevice(A))?.lastFetch?.credential, 'claim');
  });

  it('a sighting (a request that proved nothing) is kept as lastSeen, never as lastFetch, and counted apart', async (t, s) => {
    await seed(s);
    const seen = (at: string, ip: string): FetchRecord => ({ version: null, at, ip, userAgent: 'Yealink SIP-T46S 66.86.0.16', file: `${A}.cfg`, credential: null });
    await s.recordFetch(A, seen('2024-05-02T07:00:00.000Z', '203.0.113.9'));
    let d = (await s.getDevice(A))!;
    t.is(d.lastFetch, null);
    t.is(d.fetchedVersion, null);
    t.is(d.fetchCount, 0);
    t.deepEqual(d.lastSeen, { at: '2024-05-02T07:00:00.000Z', ip: '203.0.113.9', userAgent: 'Yealink SIP-T46S 66.86.0.16', file: `${A}.cfg`, count: 1 });
    await s.recordFetch(A, fetchOf(1));
    await s.recordFetches([{ mac: A, fetch: seen('2024-05-02T09:00:00.000Z', '203.0.113.10') }]);
    d = (await s.getDevice(A))!;
    t.is(d.lastFetch!.ip, '192.0.2.10', 'a sighting never moves the proven fetch');
    t.is(d.fetchedVersion, 1);
    t.is(d.lastSeen!.ip, '203.0.113.10');
    t.is(d.lastSeen!.count, 2);
    // An admin edit leaves both alone.
    await s.commit([{ op: 'update-device', record: { ...d, label: 'Desk', rev: d.rev + 1 }, expectRev: d.rev }]);
    const after = (await s.getDevice(A))!;
    t.deepEqual([after.lastFetch, after.lastSeen], [d.lastFetch, d.lastSeen]);
  });

  it('use-claim closes an open window once; a closed, expired or missing one refuses the whole batch', async (t, s) => {
    await seed(s);
    const until = '2024-05-01T11:00:00.000Z';
    await s.commit([{ op: 'open-claim', mac: A, until }]);
    const audit = { op: 'audit' as const, event: { at: '2024-05-01T10:30:00.000Z', actor: 'phone', actorTokenId: null, action: 'device.claimed', target: `device:${A}`, details: {} } };
    await s.commit([{ op: 'use-claim', mac: A, at: '2024-05-01T10:30:00.000Z' }, audit]);
    t.is((await s.getDevice(A))?.claimUntil, null);
    await t.throwsAsync(s.commit([{ op: 'use-claim', mac: A, at: '2024-05-01T10:31:00.000Z' }, audit]), { instanceOf: ClaimUnavailable });
    t.is((await s.listAudit({ limit: 10 })).length, 1, 'the refused batch wrote nothing');
    await s.commit([{ op: 'open-claim', mac: B, until }]);
    await t.throwsAsync(s.commit([{ op: 'use-claim', mac: B, at: until }]), { instanceOf: ClaimUnavailable }, 'at its end it is over');
    t.is((await s.getDevice(B))?.claimUntil, until);
    await t.throwsAsync(s.commit([{ op: 'use-claim', mac: '0004f2000009', at: '2024-05-01T10:30:00.000Z' }]), { instanceOf: ClaimUnavailable });
  });

  it('getPhoneFile reads a device and the render of one of its files together', async (t, s) => {
    await seed(s);
    await s.commit([
      { op: 'put-render', render: render(A, `${A}.cfg`, { version: 3 }) },
      { op: 'open-claim', mac: A, until: '2030-01-01T00:00:00.000Z' },
    ]);
    await s.recordFetch(A, fetchOf(1));
    const found = await s.getPhoneFile(A, `${A}.cfg`);
    t.is(found?.device.mac as string | undefined, A);
    t.is(found?.device.claimUntil, '2030-01-01T00:00:00.000Z');
    t.deepEqual(found?.device.lines, [{ line: 1, extension: '1001' }]);
    t.deepEqual(found?.render, render(A, `${A}.cfg`, { version: 3 }));
    // The phone path does not read fetch state.
    t.is(found?.device.lastFetch, null);
    t.is((await s.getPhoneFile(A, `${A}.boot`))?.render, null, 'a file without a render');
    t.is((await s.getPhoneFile(B, `${A}.cfg`))?.render, null, "another device's render is not B's");
    t.is(await s.getPhoneFile('805ec0999999', '805ec0999999.cfg'), null);
  });

  it('getPhoneFile read again after each kind of write sees that write', async (t, s) => {
    await seed(s);
    await s.commit([{ op: 'put-render', render: render(A, `${A}.cfg`, { version: 1 }) }]);
    const first = await s.getPhoneFile(A, `${A}.cfg`);
    t.is(first?.render?.version, 1);
    await s.commit([{ op: 'put-render', render: render(A, `${A}.cfg`, { version: 2 }) }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.render?.version, 2, 'a new render');
    await s.recordFetch(A, fetchOf(2));
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.device.fetchedVersion, 2, 'a fetch record');
    await s.recordFetches([{ mac: A, fetch: fetchOf(5) }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.device.fetchedVersion, 5, 'a batch of fetch records');
    await s.commit([{ op: 'open-claim', mac: A, until: '2030-01-01T00:00:00.000Z' }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.device.claimUntil, '2030-01-01T00:00:00.000Z', 'a claim window');
    await s.commit([{ op: 'close-claim', mac: A }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.device.claimUntil, null);
    const device = (await s.getDevice(A))!;
    await s.commit([{ op: 'update-device', record: { ...device, label: 'moved', rev: device.rev + 1 }, expectRev: device.rev }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.device.label, 'moved', 'a device update');
    await s.commit([{ op: 'delete-render', owner: A, file: `${A}.cfg` }]);
    t.is((await s.getPhoneFile(A, `${A}.cfg`))?.render, null, 'a deleted render');
  });

  it('recordFetches writes a batch in order, the later fetch of a device winning', async (t, s) => {
    await seed(s);
    await s.recordFetches([
      { mac: A, fetch: fetchOf(1) },
      { mac: B, fetch: fetchOf(4) },
      { mac: A, fetch: fetchOf(2, '2024-05-03T08:00:00.000Z') },
      { mac: '0004f2000009', fetch: fetchOf(1) },
    ]);
    t.is((await s.getDevice(A))?.fetchedVersion, 2);
    t.is((await s.getDevice(A))?.lastFetch?.at, '2024-05-03T08:00:00.000Z');
    t.is((await s.getDevice(B))?.fetchedVersion, 4);
    t.is(await s.getDevice('0004f2000009'), null, 'a device that is gone gets nothing');
    await s.recordFetches([]);
    // The batch keeps which password each fetch brought, like recordFetch.
    await s.recordFetches([{ mac: A, fetch: { ...fetchOf(3), credential: 'previous' } }]);
    t.is((await s.getDevice(A))?.lastFetch?.credential, 'previous');
  });

  it('listDevices({unassigned}) gives devices without lines, oldest first', async (t, s) => {
    await seed(s);
    await s.commit([
      { op: 'insert-device', record: dev('0004f2000003', [], { createdAt: '2024-05-03T00:00:00.000Z' }) },
      { op: 'insert-device', record: dev('0004f2000001', [], { createdAt: '2024-05-04T00:00:00.000Z' }) },
      { op: 'insert-device', record: dev('0004f2000002', [], { createdAt: '2024-05-02T00:00:00.000Z' }) },
    ]);
    t.deepEqual((await s.listDevices({ unassigned: true })).map((d) => d.mac), ['0004f2000002', '0004f2000003', '0004f2000001']);
    // Assigning a line takes it off the list; removing every line puts it back.
    await s.commit([{ op: 'update-device', record: dev('0004f2000002', [{ line: 1, extension: '1001' }], { rev: 2 }), expectRev: 1 }]);
    t.deepEqual((await s.listDevices({ unassigned: true })).map((d) => d.mac), ['0004f2000003', '0004f2000001']);
    await s.commit([{ op: 'update-device', record: dev(A, [], { rev: 2 }), expectRev: 1 }]);
    t.true((await s.listDevices({ unassigned: true })).some((d) => d.mac === A));
  });

  it('expect-extension passes at the revision it names and refuses the whole batch otherwise', async (t, s) => {
    await seed(s);
    await s.commit([{ op: 'expect-extension', number: '1001', rev: 1 }, { op: 'put-render', render: render('extension:1001', 'zoiper.xml') }]);
    t.truthy(await s.getRender('extension:1001', 'zoiper.xml'));
    const stale: RenderRecord = render('extension:1001', 'MicroSIP.ini');
    await t.throwsAsync(s.commit([{ op: 'expect-extension', number: '1001', rev: 2 }, { op: 'put-render', render: stale }]), {
      instanceOf: RevisionMismatch,
    });
    await t.throwsAsync(s.commit([{ op: 'put-render', render: stale }, { op: 'expect-extension', number: '9999', rev: 1 }]), {
      instanceOf: RevisionMismatch,
    });
    t.is(await s.getRender('extension:1001', 'MicroSIP.ini'), null);
  });
}
