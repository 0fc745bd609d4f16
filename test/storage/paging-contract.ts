// The paging and search part of the Store contract: keyset pages in key
// order, search over the documented fields, and device status as a filter,
// the same on every store.
import type { TestFn } from 'ava';
import type { Store } from '../../server/storage/store.ts';
import { contractTests, dev, ext, type Open } from './store-contract.ts';

async function pages<T>(list: (after: string | undefined) => Promise<T[]>, key: (x: T) => string, between?: () => Promise<void>) {
  const out: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await list(after);
    if (page.length === 0) return out;
    out.push(...page.map(key));
    after = key(page.at(-1)!);
    if (between) await between();
  }
}

export function pagingContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('extension pages come in number order, each extension once while others are added', async (t, s: Store) => {
    const numbers = Array.from({ length: 17 }, (_, i) => String(100 + i * 2));
    await s.commit(numbers.map((n) => ({ op: 'insert-extension', record: ext(n) })));
    let k = 0;
    const seen = await pages(
      (after) => s.listExtensions({ after, limit: 5 }),
      (e) => e.number,
      async () => {
        await s.commit([{ op: 'insert-extension', record: ext(String(101 + 2 * k++)) }]);
      },
    );
    t.is(new Set(seen).size, seen.length);
    for (const n of numbers) t.true(seen.includes(n));
    t.deepEqual(seen, [...seen].sort());
  });

  it('extension search matches number, display name, auth username and label without case', async (t, s: Store) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001', { displayName: 'Reception' }) },
      { op: 'insert-extension', record: ext('1002', { label: 'Second Floor', authUsername: 'sales-7' }) },
      { op: 'insert-extension', record: ext('2001') },
    ]);
    const q = async (text: string) => (await s.listExtensions({ q: text })).map((e) => e.number);
    t.deepEqual(await q('recep'), ['1001']);
    t.deepEqual(await q('floor'), ['1002']);
    t.deepEqual(await q('SALES'), ['1002']);
    t.deepEqual(await q('200'), ['2001']);
    t.deepEqual(await q('.*'), [], 'search text is literal');
    t.deepEqual(await q('%'), []);
  });

  it('device pages, search and status filter', async (t, s: Store) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await s.commit([
      { op: 'insert-device', record: dev('805ec0000001', [{ line: 1, extension: '1001' }], { label: 'Lobby' }) },
      { op: 'insert-device', record: dev('805ec0000002') },
      { op: 'insert-device', record: dev('0004f2000003', [{ line: 1, extension: '1001' }], { model: 'VVX 450', configVersion: 3 }) },
    ]);
    await s.recordFetch('0004f2000003', { version: 3, at: '2024-05-01T10:00:00.000Z', ip: '10.0.0.1', userAgent: 'ua', file: 'f', credential: 'current' });
    const macs = async (q: Parameters<Store['listDevices']>[0]) => (await s.listDevices(q)).map((d) => d.mac);
    t.deepEqual(await pages((after) => s.listDevices({ after, limit: 2 }), (d) => d.mac), ['0004f2000003', '805ec0000001', '805ec0000002']);
    t.deepEqual(await macs({ q: 'lobby' }), ['805ec0000001']);
    t.deepEqual(await macs({ q: 'vvx' }), ['0004f2000003']);
    t.deepEqual(await macs({ q: '1001' }), ['0004f2000003', '805ec0000001']);
    t.deepEqual(await macs({ q: 'c00000' }), ['805ec0000001', '805ec0000002']);
    t.deepEqual(await macs({ status: 'unassigned' }), ['805ec0000002']);
    t.deepEqual(await macs({ status: 'never' }), ['805ec0000001']);
    t.deepEqual(await macs({ status: 'synced' }), ['0004f2000003']);
    await s.commit([{ op: 'update-device', record: dev('0004f2000003', [{ line: 1, extension: '1001' }], { configVersion: 4, rev: 2 }), expectRev: 1 }]);
    t.deepEqual(await macs({ status: 'pending' }), ['0004f2000003']);
    t.deepEqual(await macs({ status: 'synced' }), []);
  });

  it('fetches are counted, and an admin update leaves the count alone', async (t, s: Store) => {
    const first = { at: '2024-05-01T10:00:00.000Z', ip: '10.0.0.9', userAgent: 'ua', file: 'a.cfg', credential: 'current' as const };
    await s.commit([{ op: 'insert-device', record: dev('805ec0000009', [], { lastFetch: first, fetchedVersion: 1 }) }]);
    t.is((await s.getDevice('805ec0000009'))!.fetchCount, 1);
    await s.recordFetch('805ec0000009', { ...first, version: 1, at: '2024-05-01T11:00:00.000Z', ip: '10.0.0.10' });
    await s.recordFetch('805ec0000009', { ...first, version: 1, at: '2024-05-01T12:00:00.000Z' });
    await s.commit([{ op: 'update-device', record: dev('805ec0000009', [], { label: 'x', rev: 2 }), expectRev: 1 }]);
    const d = (await s.getDevice('805ec0000009'))!;
    t.is(d.fetchCount, 3);
    t.is(d.lastFetch!.at, '2024-05-01T12:00:00.000Z');
    t.is(d.label, 'x');
  });
}
