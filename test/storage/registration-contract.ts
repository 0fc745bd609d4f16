// The Store contract for registration reports: one record per (extension,
// contact), a newer report replacing the older, the newest `keep` of an
// extension kept, nothing stored for an extension that does not exist, and
// an extension's reports gone with it.
import type { TestFn } from 'ava';
import type { RegistrationRecord } from '../../server/domain/registration.ts';
import { contractTests, ext, type Open } from './store-contract.ts';

function report(extension: string, contact: string, at: string, extra: Partial<RegistrationRecord> = {}): RegistrationRecord {
  return {
    extension,
    contact,
    authUsername: extension,
    realm: 'pbx.example.com',
    result: 'ok',
    secretVersion: 1,
    userAgent: 'Yealink SIP-T54W 96.86.0.100',
    sourceIp: '198.51.100.7',
    callId: `call-${contact}`,
    at,
    expiresAt: new Date(Date.parse(at) + 3_600_000).toISOString(),
    ...extra,
  };
}

const at = (minute: number) => new Date(Date.UTC(2024, 4, 1, 10, minute)).toISOString();

export function registrationContract(test: TestFn, name: string, open: Open): void {
  const it = contractTests(test, name, open);

  it('registrations: a report is stored whole and read back by extension', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-extension', record: ext('1002') }]);
    const first = report('1001', 'sip:1001@10.0.0.5:5060', at(1));
    await s.recordRegistration(first, 8);
    await s.recordRegistration(report('1002', 'sip:1002@10.0.0.6:5060', at(2)), 8);
    t.deepEqual(await s.listRegistrations({ extension: '1001' }), [first]);
    t.deepEqual((await s.listRegistrations()).map((r) => r.extension), ['1001', '1002']);
  });

  it('registrations: a newer report of the same contact replaces the older', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await s.recordRegistration(report('1001', 'sip:1001@10.0.0.5:5060', at(1)), 8);
    const failed = report('1001', 'sip:1001@10.0.0.5:5060', at(2), { result: 'failed', secretVersion: null });
    await s.recordRegistration(failed, 8);
    t.deepEqual(await s.listRegistrations({ extension: '1001' }), [failed]);
  });

  it('registrations: only the newest `keep` contacts of an extension stay, newest first', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }, { op: 'insert-extension', record: ext('1002') }]);
    await s.recordRegistration(report('1002', 'sip:other@10.0.0.9', at(0)), 3);
    for (let i = 1; i <= 6; i++) await s.recordRegistration(report('1001', `sip:1001@10.0.0.${i}`, at(i)), 3);
    const kept = await s.listRegistrations({ extension: '1001' });
    t.deepEqual(kept.map((r) => r.contact), ['sip:1001@10.0.0.6', 'sip:1001@10.0.0.5', 'sip:1001@10.0.0.4']);
    t.is((await s.listRegistrations({ extension: '1002' })).length, 1, 'another extension keeps its own');
  });

  it('registrations: nothing is stored for an extension that does not exist', async (t, s) => {
    await s.recordRegistration(report('1999', 'sip:1999@10.0.0.5', at(1)), 8);
    t.deepEqual(await s.listRegistrations(), []);
  });

  it('registrations: deleting an extension removes its reports', async (t, s) => {
    await s.commit([{ op: 'insert-extension', record: ext('1001') }]);
    await s.recordRegistration(report('1001', 'sip:1001@10.0.0.5', at(1)), 8);
    await s.commit([{ op: 'delete-extension', number: '1001', expectRev: 1 }]);
    t.deepEqual(await s.listRegistrations(), []);
  });
}
