// A change that keeps meeting another writer is planned again for at least
// its attempts and on until its time is up, then refused as a conflict; one
// whose way clears within that time lands. On a real SQLite store whose
// commit is refused a set number of times, as a store with writers queued on
// one guard refuses it.
import test from 'ava';
import { Conflict } from '../../../server/domain/errors.ts';
import { createChangeRunner, noRendering } from '../../../server/provisioning/change/change-runner.ts';
import { silentBus } from '../../../server/provisioning/change/events.ts';
import { openSqliteStore } from '../../../server/storage/sqlite-store.ts';
import { RevisionMismatch, type Store, type WriteOp } from '../../../server/storage/store.ts';
import { tempDir } from '../../helpers/server.ts';
import { ext } from '../../storage/store-contract.ts';

function refusing(t: { teardown(fn: () => unknown): void }, refusals: number): Store {
  const raw = openSqliteStore(tempDir());
  t.teardown(() => raw.close());
  let left = refusals;
  return Object.create(raw, {
    commit: {
      value: async (batch: WriteOp[]) => {
        if (left-- > 0) throw new RevisionMismatch('guard', 'busy');
        return raw.commit(batch);
      },
    },
  });
}

const insert = (number: string) => async () => ({ ops: [{ op: 'insert-extension', record: ext(number) }] as WriteOp[], result: number });

test('refused after its attempts once its time is up, as a concurrent-change conflict, having written nothing', async (t) => {
  const store = refusing(t, Infinity);
  let plans = 0;
  const run = createChangeRunner(store, noRendering, silentBus, { attempts: 3, ms: 0 });
  const err = await t.throwsAsync(run(async () => (plans++, insert('1001')())));
  t.true(err instanceof Conflict);
  t.is((err as Conflict).code, 'concurrent-change');
  t.is(plans, 3);
  t.is(await store.getExtension('1001'), null);
});

test('planned beyond its attempts while its time lasts, and lands once the way is clear', async (t) => {
  const store = refusing(t, 6);
  let plans = 0;
  const run = createChangeRunner(store, noRendering, silentBus, { attempts: 2, ms: 30_000 });
  t.is(await run(async () => (plans++, insert('1002')())), '1002');
  t.is(plans, 7);
  t.is((await store.getExtension('1002'))?.number, '1002');
});
