// The Store contract for console accounts and sessions: unique usernames, the
// one-time first admin, revisions, sessions going with their user, touch and
// expiry.
import type { TestFn } from 'ava';
import type { SessionRecord, UserRecord } from '../../server/domain/user.ts';
import { DuplicateKey, RevisionMismatch } from '../../server/storage/store.ts';
import { contractTests, type Open } from './store-contract.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:10:00.000Z';
const T2 = '2024-05-01T10:20:00.000Z';

const user = (username: string, over: Partial<UserRecord> = {}): UserRecord => ({
  username, role: 'admin', passwordHash: `scrypt$x$${username}`, createdAt: T0, updatedAt: T0, rev: 1, ...over,
});
const session = (idHash: string, username: string, over: Partial<SessionRecord> = {}): SessionRecord => ({
  idHash, username, createdAt: T0, lastSeenAt: T0, expiresAt: '2024-05-01T22:00:00.000Z', ...over,
});

export function userContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('users: the first admin once, unique names, listed by name', async (t, s) => {
    await s.commit([{ op: 'insert-user', record: user('zoe'), first: true }]);
    await t.throwsAsync(s.commit([{ op: 'insert-user', record: user('alice'), first: true }]), { instanceOf: DuplicateKey });
    t.is(await s.getUser('alice'), null, 'a second first admin is refused');
    await s.commit([{ op: 'insert-user', record: user('alice', { role: 'viewer' }) }]);
    await t.throwsAsync(s.commit([{ op: 'insert-user', record: user('alice') }]), { instanceOf: DuplicateKey });
    t.deepEqual((await s.listUsers()).map((u) => [u.username, u.role]), [['alice', 'viewer'], ['zoe', 'admin']]);
    t.deepEqual(await s.getUser('zoe'), user('zoe'));
  });

  it('users: update and delete check the revision; delete takes the sessions', async (t, s) => {
    await s.commit([{ op: 'insert-user', record: user('alice') }, { op: 'insert-session', record: session('h1', 'alice') }]);
    await s.commit([{ op: 'update-user', record: user('alice', { role: 'viewer', rev: 2 }), expectRev: 1 }]);
    await t.throwsAsync(s.commit([{ op: 'update-user', record: user('alice', { rev: 2 }), expectRev: 1 }]), {
      instanceOf: RevisionMismatch,
    });
    t.is((await s.getUser('alice'))?.role, 'viewer');
    t.truthy(await s.findSession('h1'));
    await t.throwsAsync(s.commit([{ op: 'delete-user', username: 'alice', expectRev: 1 }]), { instanceOf: RevisionMismatch });
    await s.commit([{ op: 'delete-user', username: 'alice', expectRev: 2 }]);
    t.is(await s.getUser('alice'), null);
    t.is(await s.findSession('h1'), null, 'the session went with its user');
  });

  it('sessions: insert for an existing user, touch forward only, delete one, all of a user, expired', async (t, s) => {
    await t.throwsAsync(s.commit([{ op: 'insert-session', record: session('h0', 'nobody') }]));
    await s.commit([
      { op: 'insert-user', record: user('alice') },
      { op: 'insert-user', record: user('bob') },
      { op: 'insert-session', record: session('a1', 'alice') },
      { op: 'insert-session', record: session('a2', 'alice') },
      { op: 'insert-session', record: session('b1', 'bob', { expiresAt: T1 }) },
    ]);
    t.deepEqual(await s.findSession('a1'), session('a1', 'alice'));
    await s.touchSession('a1', T2);
    await s.touchSession('a1', T1);
    t.is((await s.findSession('a1'))?.lastSeenAt, T2, 'a touch never moves back');
    await s.touchSession('gone', T2);
    t.is(await s.findSession('gone'), null);
    // a2 idle since T0, b1 past its absolute end at T1; a1 seen at T2 stays.
    await s.commit([{ op: 'delete-expired-sessions', now: T1, idleBefore: T1 }]);
    t.truthy(await s.findSession('a1'));
    t.is(await s.findSession('a2'), null);
    t.is(await s.findSession('b1'), null);
    await s.commit([{ op: 'insert-session', record: session('a3', 'alice', { lastSeenAt: T2 }) }]);
    await s.commit([{ op: 'delete-session', idHash: 'a3' }]);
    t.is(await s.findSession('a3'), null);
    t.truthy(await s.findSession('a1'));
    await s.commit([{ op: 'delete-user-sessions', username: 'alice' }]);
    t.is(await s.findSession('a1'), null);
  });
}
