// The Store contract for softphone links: lookups by token hash, counting a
// use only while the link is active (and never past maxUses, even when two
// downloads race), revocation, and links going with their extension.
import type { TestFn } from 'ava';
import type { LinkRecord } from '../../server/domain/link.ts';
import { DuplicateKey, LinkUnavailable, RevisionMismatch, type WriteOp } from '../../server/storage/store.ts';
import { contractTests, ext, type Open } from './store-contract.ts';

const T0 = '2024-05-01T10:00:00.000Z';
const LATER = '2024-05-01T11:00:00.000Z';
const EXPIRY = '2024-05-04T10:00:00.000Z';
const AFTER_EXPIRY = '2024-05-04T10:00:00.001Z';

const link = (id: string, over: Partial<LinkRecord> = {}): LinkRecord => ({
  id, tokenHash: `hash-${id}`, extension: '1001', app: 'zoiper', createdAt: T0, expiresAt: EXPIRY,
  maxUses: 1, uses: 0, revokedAt: null, lastUsedAt: null, lastSecretVersion: null, createdBy: 'admin', ...over,
});

export function linkContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('links: insert, find by token hash, get, list newest first and by extension', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-extension', record: ext('1002') }]);
    const a = link('a');
    const b = link('b', { extension: '1002', app: 'microsip', createdAt: LATER, maxUses: 3 });
    await s.commit([{ op: 'insert-link', record: a }, { op: 'insert-link', record: b }]);
    t.deepEqual(await s.findLinkByHash('hash-a'), a);
    t.deepEqual(await s.getLink('b'), b);
    t.is(await s.findLinkByHash('hash-zzz'), null);
    t.deepEqual((await s.listLinks()).map((l) => l.id), ['b', 'a']);
    t.deepEqual(await s.listLinks({ extension: '1002' }), [b]);
    await t.throwsAsync(s.commit([{ op: 'insert-link', record: link('c', { tokenHash: 'hash-a' }) }]), { instanceOf: DuplicateKey });
    await t.throwsAsync(s.commit([{ op: 'insert-link', record: link('d', { extension: '9999' }) }]));
    t.is(await s.getLink('d'), null);
  });

  it('use-link counts a use while active and records the secret version served', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-link', record: link('a', { maxUses: 2 }) }]);
    await s.commit([{ op: 'use-link', id: 'a', at: LATER, secretVersion: 4 }]);
    t.like(await s.getLink('a'), { uses: 1, lastUsedAt: LATER, lastSecretVersion: 4 });
    await s.commit([{ op: 'use-link', id: 'a', at: LATER, secretVersion: 5 }]);
    // Used up: the third use is refused, and the batch with it changes nothing.
    const before = await s.getLink('a');
    await t.throwsAsync(
      s.commit([
        { op: 'audit', event: { at: LATER, actor: 'x', actorTokenId: null, action: 'link.used', target: 'link:a', details: {} } },
        { op: 'use-link', id: 'a', at: LATER, secretVersion: 6 },
      ]),
      { instanceOf: LinkUnavailable },
    );
    t.deepEqual(await s.getLink('a'), before);
    t.deepEqual(await s.listAudit({ limit: 10 }), []);
  });

  it('use-link is refused for an expired, revoked or unknown link', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-link', record: link('old') },
      { op: 'insert-link', record: link('gone', { tokenHash: 'hash-gone' }) },
    ]);
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'old', at: AFTER_EXPIRY, secretVersion: 1 }]), { instanceOf: LinkUnavailable });
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'old', at: EXPIRY, secretVersion: 1 }]), { instanceOf: LinkUnavailable });
    await s.commit([{ op: 'revoke-link', id: 'gone', at: LATER }]);
    t.is((await s.getLink('gone'))?.revokedAt, LATER);
    // Revoking again keeps the first time.
    await s.commit([{ op: 'revoke-link', id: 'gone', at: EXPIRY }]);
    t.is((await s.getLink('gone'))?.revokedAt, LATER);
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'gone', at: LATER, secretVersion: 1 }]), { instanceOf: LinkUnavailable });
    await t.throwsAsync(s.commit([{ op: 'use-link', id: 'nope', at: LATER, secretVersion: 1 }]), { instanceOf: LinkUnavailable });
    t.is((await s.getLink('old'))?.uses, 0);
  });

  it('two uses of a one-use link racing: exactly one wins', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-link', record: link('a') }]);
    const results = await Promise.allSettled([1, 2].map((v) => s.commit([{ op: 'use-link', id: 'a', at: LATER, secretVersion: v }])));
    t.is(results.filter((r) => r.status === 'fulfilled').length, 1);
    t.is((await s.getLink('a'))?.uses, 1);
  });

  it('a use in a batch refused after it is not counted, and the use is there for the next download', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-link', record: link('a') }]);
    const refused: WriteOp[] = [{ op: 'use-link', id: 'a', at: LATER, secretVersion: 1 }, { op: 'update-extension', record: ext('1001', { rev: 9 }), expectRev: 8 }];
    await t.throwsAsync(s.commit(refused), { instanceOf: RevisionMismatch });
    t.like(await s.getLink('a'), { uses: 0, lastUsedAt: null, lastSecretVersion: null });
    await s.commit([{ op: 'use-link', id: 'a', at: LATER, secretVersion: 2 }]);
    t.like(await s.getLink('a'), { uses: 1, lastUsedAt: LATER, lastSecretVersion: 2 });
  });

  it('a deleted extension takes its links and its softphone renders with it', async (t, s) => {
    await s.commit([
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-link', record: link('a') },
      { op: 'put-render', render: { owner: 'extension:1001', file: 'zoiper.xml', version: 1, renderedAt: T0, sealedBody: 'x' } },
    ]);
    await s.commit([{ op: 'delete-extension', number: '1001', expectRev: 1 }]);
    t.is(await s.getLink('a'), null);
    t.is(await s.findLinkByHash('hash-a'), null);
    t.deepEqual(await s.listRenders('extension:1001'), []);
  });
}
