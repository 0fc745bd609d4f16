// The Store contract for sites: keyed by name, revisions checked, and the
// lists of what a site holds: extensions by their site (those from before
// sites, without one, in the default site), devices by the site they were
// placed in.
import type { TestFn } from 'ava';
import { builtInDefaultSite, type SiteRecord } from '../../server/domain/site.ts';
import { DuplicateKey, RevisionMismatch } from '../../server/storage/store.ts';
import { contractTests, dev, ext, type Open } from './store-contract.ts';

const site = (name: string, over: Partial<SiteRecord> = {}): SiteRecord => ({ ...builtInDefaultSite('Europe/Berlin', '2024-05-01T10:00:00.000Z'), name, rev: 1, ...over });

export function siteContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('sites: stored whole, listed by name, a name taken twice refused', async (t, s) => {
    await s.commit([{ op: 'insert-site', record: site('nyc', { timeZone: 'America/New_York' }) }, { op: 'insert-site', record: site('berlin', { ntpServer: 'ntp.example.de', server: { host: 'pbx.example.de', port: 5061, transport: 'tls' } }) }]);
    t.deepEqual(await s.getSite('berlin'), site('berlin', { ntpServer: 'ntp.example.de', server: { host: 'pbx.example.de', port: 5061, transport: 'tls' } }));
    t.deepEqual((await s.listSites()).map((x) => x.name), ['berlin', 'nyc']);
    t.is(await s.getSite('nowhere'), null);
    await t.throwsAsync(s.commit([{ op: 'insert-site', record: site('nyc') }]), { instanceOf: DuplicateKey });
  });

  it('sites: an update or delete at a stale revision is refused and changes nothing', async (t, s) => {
    await s.commit([{ op: 'insert-site', record: site('berlin') }]);
    await t.throwsAsync(s.commit([{ op: 'update-site', record: site('berlin', { polling: 60, rev: 3 }), expectRev: 2 }]), { instanceOf: RevisionMismatch });
    await t.throwsAsync(s.commit([{ op: 'delete-site', name: 'berlin', expectRev: 2 }]), { instanceOf: RevisionMismatch });
    await s.commit([{ op: 'update-site', record: site('berlin', { polling: 60, rev: 2 }), expectRev: 1 }]);
    t.is((await s.getSite('berlin'))?.polling, 60);
    await s.commit([{ op: 'delete-site', name: 'berlin', expectRev: 2 }]);
    t.is(await s.getSite('berlin'), null);
  });

  it('sites: extensions and placed devices are listed by site; one without a site is in the default one', async (t, s) => {
    await s.commit([
      { op: 'insert-site', record: site('berlin') },
      { op: 'insert-extension', record: ext('1001') },
      { op: 'insert-extension', record: ext('1002', { site: 'berlin' }) },
      { op: 'insert-extension', record: ext('1003', { site: 'default' }) },
      { op: 'insert-device', record: dev('805ec0000001', [{ line: 1, extension: '1002' }]) },
      { op: 'insert-device', record: dev('805ec0000002', [{ line: 1, extension: '1001' }], { site: 'berlin' }) },
    ]);
    t.deepEqual((await s.listExtensions({ site: 'default' })).map((e) => e.number), ['1001', '1003']);
    t.deepEqual((await s.listExtensions({ site: 'berlin' })).map((e) => e.number), ['1002']);
    t.deepEqual((await s.listDevices({ site: 'berlin' })).map((d) => d.mac), ['805ec0000002']);
  });
}
