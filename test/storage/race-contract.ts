// The Store contract under racing writers, as several server instances make
// them: every write that is decided by what the writer read (a revision, a
// guard's value, an open claim window, a link's count, a delivery's lease)
// lets exactly one of the writers that read the same thing through, and a
// write that is not decided by it (a phone's fetch record) is never lost to
// one that is. Each test fires its writers at once (Promise.all) on one store,
// whose connection pool gives each its own connection to the engine.
import type { ExecutionContext, TestFn } from 'ava';
import type { LinkRecord } from '../../server/domain/link.ts';
import type { SiteRecord } from '../../server/domain/site.ts';
import type { UserRecord } from '../../server/domain/user.ts';
import type { WebhookRecord } from '../../server/domain/webhook.ts';
import { builtInDefaultSite } from '../../server/domain/site.ts';
import { ClaimUnavailable, DuplicateKey, guardKey, LinkUnavailable, RevisionMismatch, type Store, type WriteOp } from '../../server/storage/store.ts';
import { contractTests, dev, evt, ext, type Open } from './store-contract.ts';

const N = 8;
const T0 = '2024-05-01T10:00:00.000Z';
const T1 = '2024-05-01T10:05:00.000Z';
const T2 = '2024-05-01T10:10:00.000Z';
const T3 = '2024-05-01T10:20:00.000Z';
const A = '805ec0000001';
const each = <T>(f: (i: number) => T) => Array.from({ length: N }, (_, i) => f(i));

const user = (username: string, over: Partial<UserRecord> = {}): UserRecord => ({
  username, role: 'admin', passwordHash: `scrypt$x$${username}`, createdAt: T0, updatedAt: T0, rev: 1, ...over,
});
const site = (name: string, over: Partial<SiteRecord> = {}): SiteRecord => ({ ...builtInDefaultSite('Europe/Berlin', T0), name, rev: 1, ...over });
const link = (id: string, over: Partial<LinkRecord> = {}): LinkRecord => ({
  id, tokenHash: `hash-${id}`, extension: '1001', app: 'zoiper', createdAt: T0, expiresAt: '2024-05-04T10:00:00.000Z',
  maxUses: 1, uses: 0, revokedAt: null, lastUsedAt: null, lastSecretVersion: null, createdBy: 'admin', ...over,
});

/** Commits every batch at once; which landed, and the refusals of the others, each of which must be a `cls`. */
async function race(t: ExecutionContext, s: Store, batches: WriteOp[][], cls: abstract new (...a: any[]) => Error): Promise<number[]> {
  const settled = await Promise.allSettled(batches.map((ops) => s.commit(ops)));
  const refusals = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  for (const err of refusals) t.true(err instanceof cls, `refused with ${String(err)}, not ${cls.name}`);
  return settled.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
}

/** A record kind whose update names the revision it was planned from. */
interface Revised {
  kind: string;
  seed: WriteOp[];
  update: (i: number) => WriteOp;
  remove?: WriteOp;
  read: (s: Store) => Promise<{ rev: number } | null>;
  label: (i: number) => unknown;
  labelOf: (r: any) => unknown;
}

const REVISED: Revised[] = [
  {
    kind: 'extension',
    seed: [{ op: 'insert-extension', record: ext('1001') }],
    update: (i) => ({ op: 'update-extension', record: ext('1001', { displayName: `writer ${i}`, rev: 2 }), expectRev: 1 }),
    remove: { op: 'delete-extension', number: '1001', expectRev: 1 },
    read: (s) => s.getExtension('1001'),
    label: (i) => `writer ${i}`,
    labelOf: (r) => r.displayName,
  },
  {
    kind: 'device',
    seed: [{ op: 'insert-device', record: dev(A) }],
    update: (i) => ({ op: 'update-device', record: dev(A, [], { label: `writer ${i}`, rev: 2 }), expectRev: 1 }),
    remove: { op: 'delete-device', mac: A, expectRev: 1 },
    read: (s) => s.getDevice(A),
    label: (i) => `writer ${i}`,
    labelOf: (r) => r.label,
  },
  {
    kind: 'user',
    seed: [{ op: 'insert-user', record: user('alice') }],
    update: (i) => ({ op: 'update-user', record: user('alice', { passwordHash: `writer ${i}`, rev: 2 }), expectRev: 1 }),
    remove: { op: 'delete-user', username: 'alice', expectRev: 1 },
    read: (s) => s.getUser('alice'),
    label: (i) => `writer ${i}`,
    labelOf: (r) => r.passwordHash,
  },
  {
    kind: 'site',
    seed: [{ op: 'insert-site', record: site('berlin') }],
    update: (i) => ({ op: 'update-site', record: site('berlin', { polling: 100 + i, rev: 2 }), expectRev: 1 }),
    remove: { op: 'delete-site', name: 'berlin', expectRev: 1 },
    read: (s) => s.getSite('berlin'),
    label: (i) => 100 + i,
    labelOf: (r) => r.polling,
  },
];

export function raceContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  for (const r of REVISED) {
    it(`race: ${N} updates of one ${r.kind} from one revision: exactly one lands, the others RevisionMismatch`, async (t, s) => {
      await s.commit(r.seed);
      const won = await race(t, s, each((i) => [r.update(i)]), RevisionMismatch);
      t.is(won.length, 1, `landed: ${won.join(', ')}`);
      const stored = await r.read(s);
      t.is(stored?.rev, 2);
      t.is(r.labelOf(stored), r.label(won[0]!), 'what is stored is the one that landed');
    });

    it(`race: updates and a delete of one ${r.kind} from one revision: exactly one lands`, async (t, s) => {
      await s.commit(r.seed);
      const batches = each((i) => [i === 3 ? r.remove! : r.update(i)]);
      const won = await race(t, s, batches, RevisionMismatch);
      t.is(won.length, 1, `landed: ${won.join(', ')}`);
      const stored = await r.read(s);
      if (won[0] === 3) t.is(stored, null, 'the delete landed');
      else t.is(r.labelOf(stored), r.label(won[0]!));
    });
  }

  it('race: an extension deleted and made again takes updates from its new revision 1', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await s.commit([{ op: 'update-extension', record: ext('1001', { rev: 2 }), expectRev: 1 }]);
    await s.commit([{ op: 'delete-extension', number: '1001', expectRev: 2 }]);
    await s.commit([{ op: 'insert-extension', record: ext('1001', { displayName: 'again' }) }]);
    const won = await race(t, s, each((i) => [{ op: 'update-extension', record: ext('1001', { displayName: `writer ${i}`, rev: 2 }), expectRev: 1 }]), RevisionMismatch);
    t.is(won.length, 1);
    t.is((await s.getExtension('1001'))?.displayName, `writer ${won[0]}`);
  });

  for (const start of [0, 3]) {
    it(`race: ${N} batches taking a guard at ${start}: exactly one passes and moves it on; the others leave nothing`, async (t, s) => {
      for (let v = 0; v < start; v++) await s.commit([{ op: 'guard', name: 'rule', expect: v }]);
      const batches = each((i): WriteOp[] => [{ op: 'guard', name: 'rule', expect: start }, { op: 'audit', event: evt('x', `writer:${i}`) }]);
      const won = await race(t, s, batches, RevisionMismatch);
      t.is(won.length, 1, `passed: ${won.join(', ')}`);
      t.is(await s.getMeta(guardKey('rule')), String(start + 1));
      t.deepEqual((await s.listAudit({ limit: 100 })).map((e) => e.target), [`writer:${won[0]}`]);
    });
  }

  it(`race: ${N} setup pages making the first admin at once: exactly one is made`, async (t, s) => {
    const won = await race(t, s, each((i) => [{ op: 'insert-user', record: user(`admin${i}`), first: true }]), DuplicateKey);
    t.is(won.length, 1, `made: ${won.join(', ')}`);
    t.deepEqual((await s.listUsers()).map((u) => u.username), [`admin${won[0]}`]);
  });

  it(`race: ${N} phones using one claim window: exactly one delivery`, async (t, s) => {
    await s.commit([{ op: 'insert-device', record: dev(A) }, { op: 'open-claim', mac: A, until: T2 }]);
    const batches = each((i): WriteOp[] => [{ op: 'use-claim', mac: A, at: T1 }, { op: 'audit', event: evt('device.claimed', `writer:${i}`) }]);
    const won = await race(t, s, batches, ClaimUnavailable);
    t.is(won.length, 1, `delivered: ${won.join(', ')}`);
    t.is((await s.getDevice(A))?.claimUntil, null);
    t.is((await s.listAudit({ limit: 100 })).length, 1);
  });

  it(`race: ${N} uses of a three-use link at once: exactly three count, each recorded`, async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-link', record: link('a', { maxUses: 3 }) }]);
    const won = await race(t, s, each((i) => [{ op: 'use-link', id: 'a', at: T1, secretVersion: i + 1 }]), LinkUnavailable);
    t.is(won.length, 3, `counted: ${won.join(', ')}`);
    const stored = await s.getLink('a');
    t.like(stored, { uses: 3, lastUsedAt: T1 });
    t.true(won.map((i) => i + 1).includes(stored!.lastSecretVersion!), 'the version recorded is one a counted use served');
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'a', at: T1, secretVersion: 9 }]), { instanceOf: LinkUnavailable });
  });

  it('race: a revocation racing uses of a link is never undone by them', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-link', record: link('a', { maxUses: 100 }) }]);
    const uses = each((i) => s.commit([{ op: 'use-link', id: 'a', at: T1, secretVersion: i + 1 }]).then(() => true, () => false));
    await Promise.all([...uses, s.commit([{ op: 'revoke-link', id: 'a', at: T1 }])]);
    const stored = await s.getLink('a');
    t.is(stored?.revokedAt, T1);
    t.is(stored?.uses, (await Promise.all(uses)).filter(Boolean).length, 'every use that was answered is counted');
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'a', at: T2, secretVersion: 1 }]), { instanceOf: LinkUnavailable });
  });

  it(`race: ${N} instances claiming deliveries at once: each due delivery is handed to exactly one`, async (t, s) => {
    const hook: WebhookRecord = { id: 'w1', url: 'https://hooks.example.com/w1', events: ['secret.changed'], secretSealed: 'v1:a:b:c', createdAt: T0, createdBy: 'admin' };
    await s.commit([{ op: 'insert-webhook', record: hook }]);
    const ids = ['d1', 'd2', 'd3', 'd4', 'd5'];
    await s.enqueueDeliveries(ids.map((id) => ({
      id, webhookId: 'w1', eventId: `e-${id}`, event: 'secret.changed', body: '{}', createdAt: T0, state: 'pending' as const,
      attempts: 0, nextAttemptAt: T0, lastAttemptAt: null, lastStatus: null, lastError: null, deliveredAt: null,
    })));
    const got = await Promise.all(each((i) => s.claimDeliveries(`instance-${i}`, T0, T2, ids.length)));
    const handed = got.flatMap((ds) => ds.map((d) => d.id)).sort();
    t.deepEqual(handed, ids, `handed out: ${got.map((ds, i) => `${i}:[${ds.map((d) => d.id)}]`).join(' ')}`);
    t.deepEqual(await s.claimDeliveries('late', T1, T3, ids.length), [], 'none is free again before its lease ends');
  });

  it('race: a holder renewing its lapsed lease while others race for it: exactly one holds it', async (t, s) => {
    t.true(await s.acquireLease('sweep', 'old', T0, T1));
    const holders = ['old', ...each((i) => `instance-${i}`)];
    const got = await Promise.all(holders.map((h) => s.acquireLease('sweep', h, T2, T3)));
    t.is(got.filter(Boolean).length, 1, `holders: ${holders.filter((_, i) => got[i]).join(', ')}`);
    const winner = holders[got.indexOf(true)]!;
    for (const h of holders) t.is(await s.acquireLease('sweep', h, T2, T3), h === winner, `${h} after the race`);
  });

  it('race: phone fetch records and NOTIFY outcomes racing admin edits of the device: none of them is lost', async (t, s) => {
    await s.commit([{ op: 'insert-device', record: dev(A) }]);
    const fetch = (i: number) => ({ version: 1, at: `2024-05-01T10:00:0${i}.000Z`, ip: '192.0.2.10', userAgent: 'Yealink', file: `${A}.cfg`, credential: 'current' as const });
    const notify = { state: 'sent' as const, via: 'direct' as const, target: 'udp:10.0.0.7:5060', at: T1, code: null, attempts: 1, key: 'v2' };
    await Promise.all([
      ...each((i) => s.recordFetch(A, fetch(i))),
      s.recordNotify(A, notify),
      s.commit([{ op: 'update-device', record: dev(A, [], { label: 'edited', rev: 2 }), expectRev: 1 }]),
    ]);
    const stored = (await s.getDevice(A))!;
    t.like(stored, { label: 'edited', rev: 2, fetchCount: N, fetchedVersion: 1 }, 'the edit and every fetch are there');
    t.deepEqual(stored.notify, notify);
  });
}
