// The Store contract against the embedded SQLite store on real files, plus
// what only a file on disk can show: modes, reopening, schema versioning.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../server/storage/sqlite/schema.ts';
import { DB_FILE, openSqliteStore } from '../../server/storage/sqlite-store.ts';
import { RevisionMismatch, type Store } from '../../server/storage/store.ts';
import { leaseContract } from './lease-contract.ts';
import { notifyContract } from './notify-contract.ts';
import { linkContract } from './link-contract.ts';
import { pagingContract } from './paging-contract.ts';
import { raceContract } from './race-contract.ts';
import { registrationContract } from './registration-contract.ts';
import { renderContract } from './render-contract.ts';
import { siteContract } from './site-contract.ts';
import { webhookContract } from './webhook-contract.ts';
import { dev, evt, ext, storeContract, tok } from './store-contract.ts';
import { userContract } from './user-contract.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'prov-sqlite-'));
}

function scratch(t: { teardown: (fn: () => void) => void }): string {
  const dir = tempDir();
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function openTemp() {
  const dir = tempDir();
  const store = openSqliteStore(dir);
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeContract(test, 'sqlite', openTemp);
renderContract(test, 'sqlite', openTemp);
linkContract(test, 'sqlite', openTemp);
pagingContract(test, 'sqlite', openTemp);
leaseContract(test, 'sqlite', openTemp);
raceContract(test, 'sqlite', openTemp);
notifyContract(test, 'sqlite', openTemp);
userContract(test, 'sqlite', openTemp);
webhookContract(test, 'sqlite', openTemp);
registrationContract(test, 'sqlite', openTemp);
siteContract(test, 'sqlite', openTemp);

const mode = (file: string) => fs.statSync(file).mode & 0o777;

async function seed(store: Store): Promise<void> {
  await store.initMeta('key-check', 'sealed-check');
  await store.commit([
    { op: 'insert-extension', record: ext('1001') },
    { op: 'insert-device', record: dev('805ec0123456', [{ line: 1, extension: '1001' }]) },
    { op: 'insert-token', record: tok('t1', 'f'.repeat(64)) },
    { op: 'audit', event: evt('extension.created', 'extension:1001') },
  ]);
}

// Serial: it widens the process umask, which must not race other file creation.
test.serial('the database and its -wal/-shm files are 0600 even under umask 000', async (t) => {
  const dir = scratch(t);
  const old = process.umask(0);
  let store: Store;
  try {
    store = openSqliteStore(dir);
    await seed(store);
  } finally {
    process.umask(old);
  }
  t.teardown(() => store.close());
  const files = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`].map((f) => path.join(dir, f));
  for (const file of files) {
    t.true(fs.existsSync(file), `${path.basename(file)} exists while the store is open`);
    t.is(mode(file).toString(8), '600', path.basename(file));
  }
});

test('an existing world-readable database file is made 0600 on open', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, DB_FILE);
  const first = openSqliteStore(dir);
  await seed(first);
  await first.close();
  fs.chmodSync(file, 0o644);
  const store = openSqliteStore(dir);
  t.teardown(() => store.close());
  await store.commit([{ op: 'audit', event: evt('x', 'y') }]);
  for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) t.is(mode(path.join(dir, f)).toString(8), '600', f);
});

test('closing and reopening the same directory keeps every record', async (t) => {
  const dir = scratch(t);
  const first = openSqliteStore(dir);
  await seed(first);
  const before = {
    extensions: await first.listExtensions(),
    devices: await first.listDevices(),
    tokens: await first.listTokens(),
    audit: await first.listAudit({ limit: 10 }),
  };
  await first.close();
  const again = openSqliteStore(dir);
  t.teardown(() => again.close());
  t.is(await again.getMeta('key-check'), 'sealed-check');
  t.deepEqual(
    {
      extensions: await again.listExtensions(),
      devices: await again.listDevices(),
      tokens: await again.listTokens(),
      audit: await again.listAudit({ limit: 10 }),
    },
    before,
  );
  t.is(before.audit.length, 1);
  // The line survived too: the extension is still held by the device.
  t.deepEqual((await again.listDevices({ extension: '1001' })).map((d) => d.mac), ['805ec0123456']);
  await again.commit([{ op: 'audit', event: evt('after', 'reopen') }]);
  t.true((await again.listAudit({ limit: 1 }))[0]!.id! > before.audit[0]!.id!, 'audit ids keep rising after a reopen');
});

test('the file records the schema version and stays in WAL mode', async (t) => {
  const dir = scratch(t);
  const store = openSqliteStore(dir);
  await seed(store);
  await store.close();
  const db = new Database(path.join(dir, DB_FILE), { readonly: true });
  t.teardown(() => db.close());
  t.true(SCHEMA_VERSION >= 1);
  t.is(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
});

test('reopening an up-to-date file does not migrate it again', async (t) => {
  const dir = scratch(t);
  const first = openSqliteStore(dir);
  await seed(first);
  await first.close();
  const again = openSqliteStore(dir);
  t.teardown(() => again.close());
  t.is((await again.listExtensions()).length, 1);
  await t.notThrowsAsync(again.commit([{ op: 'insert-extension', record: ext('1002') }]));
});

test('a file written by a newer schema version is refused with a clear error', async (t) => {
  const dir = scratch(t);
  const file = path.join(dir, DB_FILE);
  const future = SCHEMA_VERSION + 1;
  const raw = new Database(file);
  raw.exec('CREATE TABLE from_the_future (x INTEGER)');
  raw.pragma(`user_version = ${future}`);
  raw.close();
  const err = t.throws(() => openSqliteStore(dir));
  t.regex(err.message, new RegExp(`\\b${future}\\b`), 'names the file version');
  t.regex(err.message, new RegExp(`\\b${SCHEMA_VERSION}\\b`), "names this server's version");
  t.regex(err.message, /newer|upgrade/i);
  const check = new Database(file, { readonly: true });
  t.teardown(() => check.close());
  t.is(check.pragma('user_version', { simple: true }), future, 'the version is left alone');
  const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  t.deepEqual(tables.map((r) => r.name), ['from_the_future'], 'no tables were added');
});

// Known bug: openSqliteStore() throws from migrate() without closing the
// better-sqlite3 handle it opened, so the refused file stays open (fd, -wal
// and -shm) for the life of the process.
test('a refused newer file is not left open', (t) => {
  const dir = scratch(t);
  const raw = new Database(path.join(dir, DB_FILE));
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  t.throws(() => openSqliteStore(dir), { message: /newer/ });
  const left = fs.readdirSync(dir).filter((f) => f !== DB_FILE);
  t.deepEqual(left, [], 'a closed connection leaves no -wal/-shm behind');
  if (fs.existsSync('/proc/self/fd')) {
    const open = fs.readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        return [fs.readlinkSync(`/proc/self/fd/${fd}`)];
      } catch {
        return [];
      }
    });
    t.deepEqual(open.filter((target) => target.startsWith(dir)), [], 'no descriptor on the refused files');
  }
});

/** Two stores on one file, as two workers or two instances have. */
function twoConnections(t: ExecutionContext): [Store, Store] {
  const dir = scratch(t);
  const a = openSqliteStore(dir);
  const b = openSqliteStore(dir);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  return [a, b];
}

test('a phone file read on one connection is never older than a commit another made before that turn', async (t) => {
  const [a, b] = twoConnections(t);
  const mac = '805ec0a1b2c3';
  const file = `${mac}.cfg`;
  await a.commit([
    { op: 'insert-extension', record: ext('1001') },
    { op: 'insert-device', record: dev(mac, [{ line: 1, extension: '1001' }]) },
  ]);
  for (let version = 1; version <= 20; version++) {
    await b.commit([{ op: 'put-render', render: { owner: mac, file, version, renderedAt: '2024-05-01T10:00:00.000Z', sealedBody: `sealed-${version}` } }]);
    // Another process's commit reaches this one in a later event-loop turn at the earliest.
    await new Promise((resolve) => setImmediate(resolve));
    // Read twice: the second read is the one a cache would answer.
    t.is((await a.getPhoneFile(mac, file))?.render?.sealedBody, `sealed-${version}`);
    t.is((await a.getPhoneFile(mac, file))?.render?.sealedBody, `sealed-${version}`);
  }
  const shared = await a.getPhoneFile(mac, file);
  t.throws(() => ((shared!.render as { version: number }).version = 0), { instanceOf: TypeError }, 'what every reader shares cannot be changed');
  t.throws(() => (shared!.device.lines as unknown[]).push({}), { instanceOf: TypeError });
});

test('two stores on one file see each other and catch a lost update', async (t) => {
  const [a, b] = twoConnections(t);
  await a.commit([{ op: 'insert-extension', record: ext('1001') }]);
  const planned = await b.getExtension('1001');
  t.is(planned?.rev, 1);
  await a.commit([{ op: 'update-extension', record: ext('1001', { displayName: 'A wins', rev: 2 }), expectRev: 1 }]);
  await t.throwsAsync(
    b.commit([{ op: 'update-extension', record: { ...planned!, displayName: 'B loses', rev: 2 }, expectRev: 1 }]),
    { instanceOf: RevisionMismatch },
  );
  t.is((await b.getExtension('1001'))?.displayName, 'A wins');
});
