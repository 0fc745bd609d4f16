// Coalesced fetch records on a real SQLite store: queued off the request
// path, the latest per device kept, written within the flush interval or at
// once on flush(), and reads of fetch state through the decorated store wait
// for what is queued.
import fs from 'node:fs';
import test from 'ava';
import pino from 'pino';
import { createFetchCoalescer, withCoalescedFetches } from '../../../server/provisioning/phones/fetch-records.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import { dev, ext } from '../../storage/store-contract.ts';
import { tempDir } from '../../helpers/server.ts';

const A = '805ec0000001';
const fetchOf = (version: number, at: string) => ({ version, at, ip: '192.0.2.1', userAgent: 'Yealink', file: `${A}.cfg`, credential: 'current' as const });

async function fixture(t: import('ava').ExecutionContext, flushMs = 60_000) {
  const dir = tempDir();
  const raw = openSqliteStore(dir);
  t.teardown(async () => {
    await raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await raw.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-device', record: dev(A, [{ line: 1, extension: '1001' }]) }]);
  const coalescer = createFetchCoalescer(raw, pino({ level: 'silent' }), flushMs);
  const phone = withCoalescedFetches(raw, coalescer.add);
  const admin = withCoalescedFetches(raw, coalescer.add, coalescer.flush);
  return { raw, coalescer, phone, admin };
}

test('a fetch is queued, not written, until a read of fetch state flushes it', async (t) => {
  const { raw, coalescer, phone, admin } = await fixture(t);
  await phone.recordFetch(A, fetchOf(1, '2024-01-01T00:00:00.000Z'));
  await phone.recordFetch(A, fetchOf(2, '2024-01-01T00:00:01.000Z'));
  t.is(coalescer.pending(), 1, 'one record per device');
  t.is((await raw.getDevice(A))?.fetchedVersion, null, 'nothing written on the request path');
  t.is((await admin.getDevice(A))?.fetchedVersion, 2, 'the admin read waits for the queue');
  t.is(coalescer.pending(), 0);
  t.is((await raw.getDevice(A))?.lastFetch?.at, '2024-01-01T00:00:01.000Z');
  // Everything else passes straight through.
  t.is((await admin.listExtensions()).length, 1);
});

test('queued records are written by themselves within the flush interval', async (t) => {
  const { raw, phone } = await fixture(t, 20);
  await phone.recordFetch(A, fetchOf(5, '2024-01-01T00:00:00.000Z'));
  for (let i = 0; i < 200 && (await raw.getDevice(A))?.fetchedVersion !== 5; i++) await new Promise((r) => setTimeout(r, 10));
  t.is((await raw.getDevice(A))?.fetchedVersion, 5);
});
