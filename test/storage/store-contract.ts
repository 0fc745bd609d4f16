// The contract every Store implementation keeps, written against the Store
// port only so that the SQLite and MongoDB adapters run the very same suite.
// Each test opens its own empty store; a refused batch must leave a snapshot
// of everything the port can read exactly as it was.
import type { ExecutionContext, TestFn } from 'ava';
import type { AuditEvent } from '../../server/domain/audit.ts';
import type { DeviceLine, DeviceRecord } from '../../server/domain/device.ts';
import type { ExtensionRecord } from '../../server/domain/extension.ts';
import type { Mac } from '../../server/domain/mac.ts';
import type { TokenRecord } from '../../server/domain/token.ts';
import { BrokenReference, DuplicateKey, RevisionMismatch, type Store, type WriteOp } from '../../server/storage/store.ts';

export type Open = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
const AT = '2024-05-01T10:00:00.000Z';

export const ext = (number: string, over: Partial<ExtensionRecord> = {}): ExtensionRecord => ({
  number, displayName: `Desk ${number}`, authUsername: number, secretSealed: `v1:iv${number}:tag:body`,
  secretVersion: 1, server: { host: 'pbx.example.com', port: 5061, transport: 'tls' }, outboundProxy: null,
  label: null, createdAt: AT, updatedAt: AT, rev: 1, ...over,
});

export const dev = (mac: string, lines: DeviceLine[] = [], over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  mac: mac as Mac, vendor: 'yealink', model: null, label: null, lines, configVersion: 1, fetchedVersion: null,
  lastFetch: null, lastSeen: null, provPasswordSealed: `v1:prov${mac}:tag:body`, claimUntil: null, createdAt: AT, updatedAt: AT, rev: 1,
  // The store counts fetches; a device inserted with its first fetch has one.
  fetchCount: over.lastFetch ? 1 : 0, ...over,
});

export const tok = (id: string, hash: string, over: Partial<TokenRecord> = {}): TokenRecord => ({
  id, name: `token ${id}`, role: 'viewer', hash, createdAt: AT, ...over,
});

export const evt = (action: string, target: string, over: Partial<AuditEvent> = {}): AuditEvent => ({
  at: AT, actor: 'admin', actorTokenId: null, action, target, details: {}, ...over,
});

const A = '805ec0000001';
const B = '805ec0000002';
const C = '0004f2000003';
const byKey = <T>(items: T[], key: (x: T) => string) => [...items].sort((x, y) => (key(x) < key(y) ? -1 : 1));
const withoutId = ({ id: _id, ...rest }: AuditEvent) => rest;

/** Everything the port can read, in an order that does not depend on the engine. */
async function snapshot(s: Store) {
  return {
    extensions: await s.listExtensions(),
    devices: byKey(await s.listDevices(), (d) => d.mac),
    tokens: byKey(await s.listTokens(), (t) => t.id),
    audit: await s.listAudit({ limit: 1000 }),
  };
}

type Body = (t: ExecutionContext, s: Store) => Promise<void>;

/** Registers contract tests, each on a freshly opened empty store. */
export function contractTests(test: TestFn, name: string, open: Open) {
  return (title: string, body: Body) =>
    test(`${name} store: ${title}`, async (t) => {
      const { store, cleanup } = await open();
      t.teardown(cleanup);
      await body(t, store);
    });
}

export function storeContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  /** Commits a batch that must be refused with `cls` and change nothing at all. */
  async function refused<C extends abstract new (...a: any[]) => Error>(
    t: ExecutionContext,
    s: Store,
    ops: WriteOp[],
    cls: C,
  ): Promise<InstanceType<C>> {
    const before = await snapshot(s);
    const err = await t.throwsAsync(s.commit(ops), { instanceOf: cls as any });
    t.deepEqual(await snapshot(s), before, 'a refused batch leaves no trace');
    return err as InstanceType<C>;
  }

  it('answers ping and accepts an empty batch', async (t, s) => {
    await t.notThrowsAsync(s.ping());
    await s.commit([]);
    t.deepEqual(await snapshot(s), { extensions: [], devices: [], tokens: [], audit: [] });
  });

  it('meta: missing is null, the first initMeta wins', async (t, s) => {
    t.is(await s.getMeta('key-check'), null);
    t.is(await s.initMeta('key-check', 'first'), 'first');
    t.is(await s.initMeta('key-check', 'second'), 'first');
    t.is(await s.getMeta('key-check'), 'first');
    t.is(await s.initMeta('other', 'x'), 'x');
    t.is(await s.getMeta('key-check'), 'first');
  });

  it('extensions: insert, get, and list ordered by number', async (t, s) => {
    const [e3, e1, e2] = [ext('1003'), ext('1001', { label: 'Reception' }), ext('1002')];
    await s.commit([{ op: 'insert-extension', record: e3 }, { op: 'insert-extension', record: e1 }]);
    await s.commit([{ op: 'insert-extension', record: e2 }]);
    t.deepEqual(await s.getExtension('1001'), e1);
    t.is(await s.getExtension('1004'), null);
    t.deepEqual(await s.listExtensions(), [e1, e2, e3]);
  });

  it('records round-trip as plain objects, nested values and nulls included', async (t, s) => {
    const e = ext('2001', {
      server: { host: '10.0.0.5', port: 5080, transport: 'tcp' },
      outboundProxy: { host: 'sbc.example.net', port: 5070 },
      label: 'Ünïcødé "quoted" & <tagged>',
      media: { srtp: 'optional' },
    });
    const d = dev(A, [{ line: 1, extension: '2001' }, { line: 2, extension: '2002' }], {
      vendor: 'polycom',
      model: 'VVX 450',
      fetchedVersion: 3,
      configVersion: 4,
      lastFetch: { at: AT, ip: '192.0.2.7', userAgent: 'FileTransport PolycomVVX-VVX_450-UA/6.4', file: `${A}.cfg` },
    });
    const k = tok('t1', 'ab'.repeat(32), { role: 'admin' });
    const ev = evt('extension.created', 'extension:2001', { actorTokenId: 't1', details: { version: 1, fields: ['a'], n: null } });
    await s.commit([
      { op: 'insert-extension', record: e },
      { op: 'insert-extension', record: ext('2002') },
      { op: 'insert-device', record: d },
      { op: 'insert-token', record: k },
      { op: 'audit', event: ev },
    ]);
    const got = [await s.getExtension('2001'), await s.getDevice(A), await s.getToken('t1')];
    t.deepEqual(got, [e, d, k]);
    for (const r of got) t.is(Object.getPrototypeOf(r), Object.prototype);
    const [stored] = await s.listAudit({ limit: 10 });
    t.is(typeof stored?.id, 'number');
    t.deepEqual(withoutId(stored!), ev);
    // Neither the caller's objects nor returned ones are the stored copy.
    e.label = 'changed after commit';
    (got[0] as ExtensionRecord).server.port = 1;
    t.deepEqual(await s.getExtension('2001'), { ...e, label: 'Ünïcødé "quoted" & <tagged>' });
  });

  it('DuplicateKey for an extension, device or token hash that exists', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-device', record: dev(A) },
      { op: 'insert-token', record: tok('t1', 'h1') },
    ]);
    const e = await refused(t, s, [{ op: 'insert-extension', record: ext('1001', { displayName: 'x' }) }], DuplicateKey);
    t.like(e, { entity: 'extension', key: '1001' });
    const d = await refused(t, s, [{ op: 'insert-device', record: dev(A, [], { vendor: 'polycom' }) }], DuplicateKey);
    t.like(d, { entity: 'device', key: A });
    const k = await refused(t, s, [{ op: 'insert-token', record: tok('t2', 'h1') }], DuplicateKey);
    t.is(k.entity, 'token');
    // Also when both copies arrive in the same batch.
    const same = [ext('1002'), ext('1002')].map((record): WriteOp => ({ op: 'insert-extension', record }));
    t.is((await refused(t, s, same, DuplicateKey)).key, '1002');
  });

  it('update-extension applies with the right rev and refuses a stale or missing one', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    const v2 = ext('1001', { displayName: 'New name', secretVersion: 2, rev: 2 });
    await s.commit([{ op: 'update-extension', record: v2, expectRev: 1 }]);
    t.deepEqual(await s.getExtension('1001'), v2);
    const stale = ext('1001', { displayName: 'Lost update', rev: 2 });
    const err = await refused(t, s, [{ op: 'update-extension', record: stale, expectRev: 1 }], RevisionMismatch);
    t.is(err.key, '1001');
    t.deepEqual(await s.getExtension('1001'), v2);
    await refused(t, s, [{ op: 'update-extension', record: ext('1999', { rev: 2 }), expectRev: 1 }], RevisionMismatch);
    t.is(await s.getExtension('1999'), null);
  });

  it('delete with a stale rev is refused; with the right rev it deletes', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001', { rev: 3 }) }, { op: 'insert-device', record: dev(A, [], { rev: 5 }) }]);
    await refused(t, s, [{ op: 'delete-extension', number: '1001', expectRev: 2 }], RevisionMismatch);
    await refused(t, s, [{ op: 'delete-device', mac: A, expectRev: 4 }], RevisionMismatch);
    await s.commit([{ op: 'delete-extension', number: '1001', expectRev: 3 }, { op: 'delete-device', mac: A, expectRev: 5 }]);
    t.is(await s.getExtension('1001'), null);
    t.is(await s.getDevice(A), null);
    await refused(t, s, [{ op: 'delete-device', mac: A, expectRev: 5 }], RevisionMismatch);
  });

  it('update-device applies with the right rev and refuses a stale one', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-device', record: dev(A) }]);
    const v2 = dev(A, [{ line: 1, extension: '1001' }], { vendor: 'polycom', configVersion: 2, rev: 2 });
    await s.commit([{ op: 'update-device', record: v2, expectRev: 1 }]);
    t.deepEqual(await s.getDevice(A), v2);
    await refused(t, s, [{ op: 'update-device', record: dev(A, [], { rev: 2 }), expectRev: 1 }], RevisionMismatch);
    t.deepEqual(await s.listDevices({ extension: '1001' }), [v2]);
  });

  it('listDevices filters by vendor and by extension line', async (t, s) => {
    const exts = ['1001', '1002', '1003'].map((n): WriteOp => ({ op: 'insert-extension', record: ext(n) }));
    const a = dev(A, [{ line: 1, extension: '1001' }, { line: 2, extension: '1002' }]);
    const b = dev(B, [{ line: 1, extension: '1002' }]);
    const c = dev(C, [], { vendor: 'polycom' });
    await s.commit([...exts, ...[c, a, b].map((record): WriteOp => ({ op: 'insert-device', record }))]);
    const macs = async (q?: Parameters<Store['listDevices']>[0]) => (await s.listDevices(q)).map((d) => d.mac).sort();
    t.deepEqual(await macs(), [C, A, B].sort());
    t.deepEqual(await macs({ vendor: 'yealink' }), [A, B]);
    t.deepEqual(await s.listDevices({ vendor: 'polycom' }), [c]);
    t.deepEqual(await macs({ vendor: 'grandstream' }), []);
    t.deepEqual(await s.listDevices({ extension: '1001' }), [a]);
    t.deepEqual(await macs({ extension: '1002' }), [A, B]);
    t.deepEqual(await macs({ extension: '1003' }), []);
    t.deepEqual(await macs({ extension: '1002', vendor: 'polycom' }), []);
    // Moving A's lines off 1001 takes it out of that extension's list.
    const moved = dev(A, [{ line: 1, extension: '1003' }], { rev: 2 });
    await s.commit([{ op: 'update-device', record: moved, expectRev: 1 }]);
    t.deepEqual(await macs({ extension: '1001' }), []);
    t.deepEqual(await macs({ extension: '1002' }), [B]);
    t.deepEqual(await s.listDevices({ extension: '1003' }), [moved]);
  });

  it('a device line to a missing extension is a BrokenReference (missing)', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-device', record: dev(B) }]);
    const lines = [{ line: 1, extension: '1001' }, { line: 2, extension: '4040' }];
    const err = await refused(t, s, [{ op: 'insert-device', record: dev(A, lines) }], BrokenReference);
    t.like(err, { extension: '4040', kind: 'missing' });
    const upd = await refused(t, s, [{ op: 'update-device', record: dev(B, lines, { rev: 2 }), expectRev: 1 }], BrokenReference);
    t.like(upd, { extension: '4040', kind: 'missing' });
    const gone = await refused(
      t,
      s,
      [{ op: 'delete-extension', number: '1001', expectRev: 1 }, { op: 'insert-device', record: dev(C, [lines[0]!]) }],
      BrokenReference,
    );
    t.like(gone, { extension: '1001', kind: 'missing' });
  });

  it('an extension a line uses cannot be deleted until the device lets go', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-extension', record: ext('1002') },
      { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) },
      { op: 'insert-device', record: dev(B, [{ line: 1, extension: '1002' }]) },
    ]);
    const err = await refused(t, s, [{ op: 'delete-extension', number: '1001', expectRev: 1 }], BrokenReference);
    t.like(err, { extension: '1001', kind: 'in-use' });
    // Ops in a batch see the ones before them: freeing and deleting together works.
    await s.commit([{ op: 'delete-device', mac: A, expectRev: 1 }, { op: 'delete-extension', number: '1001', expectRev: 1 }]);
    t.is(await s.getExtension('1001'), null);
    await s.commit([{ op: 'update-device', record: dev(B, [], { rev: 2 }), expectRev: 1 }]);
    await s.commit([{ op: 'delete-extension', number: '1002', expectRev: 1 }]);
    t.deepEqual(await s.listExtensions(), []);
  });

  it('deleting a device frees its extensions', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-extension', record: ext('1002') },
      { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }, { line: 2, extension: '1002' }]) },
    ]);
    await s.commit([{ op: 'delete-device', mac: A, expectRev: 1 }]);
    t.deepEqual(await s.listDevices({ extension: '1001' }), []);
    t.deepEqual(await s.listDevices({ extension: '1002' }), []);
    await s.commit([
      { op: 'delete-extension', number: '1001', expectRev: 1 },
      { op: 'delete-extension', number: '1002', expectRev: 1 },
    ]);
    t.deepEqual(await s.listExtensions(), []);
  });

  it('tokens: find by hash, get, list and delete', async (t, s) => {
    const k1 = tok('t1', 'a'.repeat(64), { role: 'admin' });
    const k2 = tok('t2', 'b'.repeat(64), { createdAt: '2024-05-02T00:00:00.000Z' });
    await s.commit([{ op: 'insert-token', record: k2 }, { op: 'insert-token', record: k1 }]);
    t.deepEqual(await s.findTokenByHash('a'.repeat(64)), k1);
    t.is(await s.findTokenByHash('c'.repeat(64)), null);
    t.deepEqual(await s.getToken('t2'), k2);
    t.is(await s.getToken('t3'), null);
    t.deepEqual(byKey(await s.listTokens(), (x) => x.id), [k1, k2]);
    await s.commit([{ op: 'delete-token', id: 't1' }]);
    t.is(await s.findTokenByHash('a'.repeat(64)), null);
    t.is(await s.getToken('t1'), null);
    t.deepEqual(await s.listTokens(), [k2]);
  });

  it('audit: newest first, filtered by action, target, limit and beforeId', async (t, s) => {
    const events = [
      evt('extension.created', 'extension:1001'),
      evt('extension.created', 'extension:10011'),
      evt('secret.revealed', 'extension:1001', { details: { version: 1 } }),
      evt('device.created', 'device:805ec0000001'),
      evt('secret.changed', 'extension:1001', { details: { version: 2 } }),
    ];
    await s.commit([{ op: 'audit', event: events[0]! }, { op: 'audit', event: events[1]! }]);
    for (const event of events.slice(2)) await s.commit([{ op: 'audit', event }]);
    const all = await s.listAudit({ limit: 100 });
    t.deepEqual(all.map(withoutId), [...events].reverse());
    const ids = all.map((e) => e.id!);
    t.true(ids.every((id, i) => typeof id === 'number' && (i === 0 || id < ids[i - 1]!)), 'ids fall, newest first');
    const pick = async (q: Omit<Parameters<Store['listAudit']>[0], 'limit'>, limit = 100) =>
      (await s.listAudit({ ...q, limit })).map(withoutId);
    t.deepEqual(await pick({ action: 'extension.created' }), [events[1], events[0]]);
    t.deepEqual(await pick({ target: '1001' }), [events[4], events[2], events[0]]);
    t.deepEqual(await pick({ target: 'extension:1001' }), [events[4], events[2], events[0]]);
    t.deepEqual(await pick({ target: 'extension:100' }), []);
    t.deepEqual(await pick({ target: '805ec0000001' }), [events[3]]);
    t.deepEqual(await pick({ target: 'device:1001' }), []);
    t.deepEqual(await pick({ target: '1001', action: 'secret.revealed' }), [events[2]]);
    t.deepEqual(await pick({}, 2), [events[4], events[3]]);
    t.deepEqual(await pick({ beforeId: ids[1] }, 2), [events[2], events[1]]);
    t.deepEqual(await pick({ beforeId: ids[1], target: '1001' }), [events[2], events[0]]);
    t.deepEqual(await pick({ beforeId: ids[4] }), []);
  });

  it('audit: filtered by action prefix and by a time range, since inclusive and until exclusive', async (t, s) => {
    const at = (day: number) => `2024-05-0${day}T10:00:00.000Z`;
    await s.commit([
      { op: 'audit', event: evt('secret.changed', 'extension:1001', { at: at(1) }) },
      { op: 'audit', event: evt('secret.revealed', 'extension:1001', { at: at(2) }) },
      { op: 'audit', event: evt('secrets.other', 'extension:1001', { at: at(3) }) },
      { op: 'audit', event: evt('device.created', 'device:805ec0000001', { at: at(3) }) },
    ]);
    const actions = async (q: Partial<Parameters<Store['listAudit']>[0]>) => (await s.listAudit({ limit: 100, ...q })).map((e) => e.action);
    t.deepEqual(await actions({ actionPrefix: 'secret.' }), ['secret.revealed', 'secret.changed']);
    t.deepEqual(await actions({ since: at(2), until: at(3) }), ['secret.revealed']);
    t.deepEqual(await actions({ actionPrefix: 'secret', since: at(2) }), ['secrets.other', 'secret.revealed']);
  });

  it('audit: events committed at once, as by several instances, all land, each with an id of its own', async (t, s) => {
    const events = Array.from({ length: 12 }, (_, i) => evt('secret.changed', `extension:${1000 + i}`));
    await Promise.all(events.map((event) => s.commit([{ op: 'audit', event }])));
    const stored = await s.listAudit({ limit: 100 });
    t.is(stored.length, events.length);
    t.is(new Set(stored.map((e) => e.id)).size, events.length);
  });

  it('atomicity: a batch whose last op fails applies none of its earlier ops', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) },
      { op: 'insert-token', record: tok('t1', 'h1') },
      { op: 'audit', event: evt('setup', 'extension:1001') },
    ]);
    const earlier: WriteOp[] = [
      { op: 'insert-extension', record: ext('2001') },
      { op: 'update-extension', record: ext('1001', { secretVersion: 2, rev: 2 }), expectRev: 1 },
      { op: 'insert-device', record: dev(B, [{ line: 1, extension: '2001' }]) },
      { op: 'update-device', record: dev(A, [{ line: 1, extension: '2001' }], { rev: 2 }), expectRev: 1 },
      { op: 'insert-token', record: tok('t2', 'h2') },
      { op: 'delete-token', id: 't1' },
      { op: 'audit', event: evt('secret.changed', 'extension:1001') },
    ];
    await refused(t, s, [...earlier, { op: 'insert-extension', record: ext('1001') }], DuplicateKey);
    await refused(t, s, [...earlier, { op: 'insert-token', record: tok('t3', 'h2') }], DuplicateKey);
    await refused(t, s, [...earlier, { op: 'update-extension', record: ext('1001', { rev: 9 }), expectRev: 1 }], RevisionMismatch);
    await refused(t, s, [...earlier, { op: 'delete-device', mac: C, expectRev: 1 }], RevisionMismatch);
    await refused(t, s, [...earlier, { op: 'delete-extension', number: '2001', expectRev: 1 }], BrokenReference);
    const tail: WriteOp[] = [{ op: 'delete-device', mac: A, expectRev: 1 }, { op: 'delete-extension', number: '1001', expectRev: 1 }];
    await refused(t, s, [...tail, { op: 'audit', event: evt('x', 'y') }, { op: 'delete-token', id: 't1' }, ...tail], RevisionMismatch);
    // The same batch without the failing op goes through whole.
    await s.commit(earlier);
    t.is((await s.getExtension('1001'))?.rev, 2);
    t.deepEqual((await s.listTokens()).map((k) => k.id), ['t2']);
    t.is((await s.listAudit({ limit: 10 })).length, 2);
  });
}
