// The MongoDB store. The contract suites — the very ones the SQLite store
// passes — and a two-process read-your-write test run when MONGODB_URI names
// a server (docs/testing.md "Testing against MongoDB"); no MongoDB server can be installed
// on the machines CI runs on, so there they are skipped with one line saying
// so. What needs no server runs always.
import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../server/config.ts';
import { StoreUnavailable } from '../../server/domain/errors.ts';
import { openMongoStore } from '../../server/storage/mongo-store.ts';
import { startProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/server.ts';
import { leaseContract } from './lease-contract.ts';
import { notifyContract } from './notify-contract.ts';
import { linkContract } from './link-contract.ts';
import { pagingContract } from './paging-contract.ts';
import { renderContract } from './render-contract.ts';
import { userContract } from './user-contract.ts';
import { webhookContract } from './webhook-contract.ts';
import { storeContract } from './store-contract.ts';

test('an unreachable MongoDB is store-unavailable at start, not a crash', async (t) => {
  // Port 9 on loopback: nothing listens there.
  const err = await t.throwsAsync(openMongoStore({ uri: 'mongodb://127.0.0.1:9/prov', timeoutMs: 300 }));
  t.true(err instanceof StoreUnavailable, String(err));
  t.is((err as StoreUnavailable).status, 503);
});

test('MONGODB_URI chooses the MongoDB store; a bad one stops the boot without echoing it', (t) => {
  t.deepEqual(loadConfig({ MONGODB_URI: 'mongodb://db1,db2/prov?replicaSet=rs0', PROV_MONGODB_DB: 'prov' }).mongo, {
    uri: 'mongodb://db1,db2/prov?replicaSet=rs0',
    database: 'prov',
  });
  t.is(loadConfig({}).mongo, null);
  const err = t.throws(() => loadConfig({ MONGODB_URI: 'postgres://user:hunter2@db/prov' }));
  t.regex(err!.message, /^MONGODB_URI must be a mongodb/);
  t.false(err!.message.includes('hunter2'));
});

const uri = process.env.MONGODB_URI;
if (!uri) {
  console.log('MongoDB half skipped: MONGODB_URI is not set (docs/testing.md "Testing against MongoDB" says how to run it).');
} else {
  /** Each test gets a database of its own, dropped afterwards. */
  const open = async () => {
    const database = `prov_test_${randomUUID().slice(0, 8)}`;
    const store = await openMongoStore({ uri, database });
    return {
      store,
      cleanup: async () => {
        await store.close();
        const client = await new MongoClient(uri).connect();
        await client.db(database).dropDatabase();
        await client.close();
      },
    };
  };
  storeContract(test, 'mongodb', open);
  renderContract(test, 'mongodb', open);
  linkContract(test, 'mongodb', open);
  pagingContract(test, 'mongodb', open);
  leaseContract(test, 'mongodb', open);
  notifyContract(test, 'mongodb', open);
  userContract(test, 'mongodb', open);
  webhookContract(test, 'mongodb', open);

  test('read-your-write across two server processes on one MongoDB', async (t) => {
    const token = randomBytes(24).toString('hex');
    const env = {
      MONGODB_URI: uri,
      PROV_MONGODB_DB: `prov_test_${randomUUID().slice(0, 8)}`,
      PROV_SECRET_KEY: randomBytes(32).toString('base64'),
      PROV_ADMIN_TOKEN: token,
      PROV_PUBLIC_URL: 'http://prov.test',
    };
    const a = await startProcess({ ...env, PROV_DATA_DIR: tempDir() });
    t.teardown(() => a.stop());
    const b = await startProcess({ ...env, PROV_DATA_DIR: tempDir() });
    t.teardown(() => b.stop());
    t.teardown(async () => {
      const client = await new MongoClient(uri).connect();
      await client.db(env.PROV_MONGODB_DB).dropDatabase();
      await client.close();
    });
    const api = async (base: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, json: res.status === 204 ? null : await res.json() };
    };
    const mac = '805ec0a1b2c3';
    const phone = async (base: string) => {
      const res = await fetch(`${base}/prov/${mac}.cfg`, { headers: { 'user-agent': 'Yealink SIP-T46S 66.86.0.15 80:5e:c0:a1:b2:c3' } });
      const text = await res.text();
      return /^account\.1\.password = (.*)$/m.exec(text)?.[1];
    };
    t.is((await api(a.url, 'POST', '/api/extensions', { number: '1001', secret: 'First-Secret-1', server: { host: 'pbx.test' } })).status, 201);
    t.is((await api(a.url, 'POST', '/api/devices', { mac, vendor: 'yealink', lines: [{ extension: '1001' }] })).status, 201);
    t.is(await phone(b.url), 'First-Secret-1', 'B serves what A wrote');
    t.is((await api(a.url, 'PUT', '/api/extensions/1001/secret', { secret: 'Second-Secret-2' })).status, 200);
    t.is(await phone(b.url), 'Second-Secret-2', 'the very next fetch on B has the new secret');
    t.is((await api(a.url, 'GET', `/api/devices/${mac}`)).json.status, 'synced', 'A sees the fetch made on B');
  });
}
