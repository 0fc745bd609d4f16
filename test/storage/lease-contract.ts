// The Store contract for leases, which keep scheduled jobs on one instance at
// a time: a free or expired lease is taken, a live one held by someone else
// is refused, the holder renews its own, and of holders racing for one lease
// exactly one gets it. A lease is held until `until`, exclusive: at that
// instant it is free again, on every engine.
import type { TestFn } from 'ava';
import { contractTests, type Open } from './store-contract.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:05:00.000Z';
const T2 = '2024-05-01T10:11:00.000Z';
const T3 = '2024-05-01T10:20:00.000Z';
const T4 = '2024-05-01T10:30:00.000Z';

export function leaseContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('lease: a free lease is taken', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
  });

  it('lease: one held by another and not expired is refused, and stays with its holder', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
    t.false(await s.acquireLease('sweep', 'b', T1, T3), 'b is refused while a holds it');
    // Had b's refused attempt replaced a, a could no longer renew.
    t.true(await s.acquireLease('sweep', 'a', T1, T2), 'a still holds it');
    t.false(await s.acquireLease('sweep', 'b', '2024-05-01T10:10:59.999Z', T3), 'refused up to the last instant');
  });

  it('lease: an expired lease is taken by another holder', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
    t.true(await s.acquireLease('sweep', 'b', T2, T4), 'free again at its until');
    t.false(await s.acquireLease('sweep', 'a', T3, T4), 'and now b holds it against a');
  });

  it('lease: the holder renews it, which pushes its expiry out', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
    t.true(await s.acquireLease('sweep', 'a', T1, T4), 'a renews before expiry');
    t.false(await s.acquireLease('sweep', 'b', T3, T4), 'past the first until, the renewal still holds');
    t.true(await s.acquireLease('sweep', 'a', T4, '2024-05-01T10:40:00.000Z'), 'a renews even after its lease lapsed');
  });

  it('lease: leases with different names are independent', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'a', T0, T2));
    t.true(await s.acquireLease('cleanup', 'b', T0, T2));
    t.false(await s.acquireLease('cleanup', 'a', T1, T2));
  });

  it('lease: of holders racing for a free lease, exactly one gets it', async (t, s) => {
    const holders = Array.from({ length: 8 }, (_, i) => `instance-${i}`);
    const got = await Promise.all(holders.map((h) => s.acquireLease('sweep', h, T0, T2)));
    t.is(got.filter(Boolean).length, 1, `winners: ${holders.filter((_, i) => got[i]).join(', ')}`);
    const winner = holders[got.indexOf(true)]!;
    t.true(await s.acquireLease('sweep', winner, T1, T2), 'the winner is the one that holds it');
  });

  it('lease: of holders racing for an expired lease, exactly one gets it', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'gone', T0, T1));
    const holders = ['a', 'b', 'c', 'd'];
    const got = await Promise.all(holders.map((h) => s.acquireLease('sweep', h, T2, T4)));
    t.is(got.filter(Boolean).length, 1);
    t.false(await s.acquireLease('sweep', 'gone', T3, T4), 'the old holder does not get it back');
  });
}
