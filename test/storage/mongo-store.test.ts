// The MongoDB store. The contract suites — the very ones the SQLite store
// passes — run against the run's MongoDB server: FerretDB, which `npm test`
// starts (test/tools/with-mongodb.ts), or the one MONGODB_URI names; two
// server processes on one database are in test/e2e/mongo-instances.test.ts.
// What needs no server runs always.
import test from 'ava';
import { loadConfig } from '../../server/config.ts';
import { StoreUnavailable } from '../../server/domain/errors.ts';
import { unavailable } from '../../server/storage/mongo/part.ts';
import { openMongoStore } from '../../server/storage/mongo-store.ts';
import { dropDatabase } from '../helpers/ferretdb.ts';
import { mongoUri, testDatabase } from '../helpers/mongo.ts';
import { leaseContract } from './lease-contract.ts';
import { notifyContract } from './notify-contract.ts';
import { linkContract } from './link-contract.ts';
import { mongoLockTests } from './mongo-locks.ts';
import { pagingContract } from './paging-contract.ts';
import { raceContract } from './race-contract.ts';
import { registrationContract } from './registration-contract.ts';
import { renderContract } from './render-contract.ts';
import { siteContract } from './site-contract.ts';
import { userContract } from './user-contract.ts';
import { webhookContract } from './webhook-contract.ts';
import { storeContract } from './store-contract.ts';

test('an unreachable MongoDB is store-unavailable at start, not a crash', async (t) => {
  // Port 9 on loopback: nothing listens there.
  const err = await t.throwsAsync(openMongoStore({ uri: 'mongodb://127.0.0.1:9/prov', timeoutMs: 300 }));
  t.true(err instanceof StoreUnavailable, String(err));
  t.is((err as StoreUnavailable).status, 503);
});

test('a socket the server closed is store-unavailable, even as the bare Node error the driver lets through', (t) => {
  const epipe = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
  t.true(unavailable(epipe) instanceof StoreUnavailable);
  t.is(unavailable(new Error('a bug')), null);
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

if (mongoUri) {
  const uri = mongoUri;
  /** Each test gets a database of its own, dropped afterwards. */
  const open = async () => {
    const database = testDatabase();
    const store = await openMongoStore({ uri, database });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await dropDatabase(uri, database);
      },
    };
  };
  storeContract(test, 'mongodb', open);
  renderContract(test, 'mongodb', open);
  linkContract(test, 'mongodb', open);
  pagingContract(test, 'mongodb', open);
  leaseContract(test, 'mongodb', open);
  raceContract(test, 'mongodb', open);
  notifyContract(test, 'mongodb', open);
  userContract(test, 'mongodb', open);
  webhookContract(test, 'mongodb', open);
  registrationContract(test, 'mongodb', open);
  siteContract(test, 'mongodb', open);
  mongoLockTests(test, uri);

  test('instances opening a new database at once all open it, and their racing initMeta all read one value', async (t) => {
    const database = testDatabase();
    t.teardown(() => dropDatabase(uri, database));
    const opened = await Promise.allSettled([1, 2, 3, 4].map(() => openMongoStore({ uri, database })));
    const stores = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    t.teardown(() => Promise.all(stores.map((s) => s.close())));
    t.deepEqual(opened.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : [])), []);
    const values = await Promise.all(stores.map((s, i) => s.initMeta('key-check', `instance-${i}`)));
    t.is(new Set(values).size, 1, values.join(', '));
  });
}
