// Registration reports to line states: which secret a report used, what a
// line shows, and how reports are matched to one of several devices that
// share an extension (never guessed).
import test from 'ava';
import { contactsOnOldSecret, lineRegistration, registrationsOfDevice, stateOf, type RegistrationRecord } from '../../server/domain/registration.ts';

const NOW = new Date('2031-02-01T12:00:00.000Z');
const reg = (over: Partial<RegistrationRecord>): RegistrationRecord => ({
  extension: '1001', contact: 'sip:1001@10.0.0.5:5060', authUsername: '1001', realm: 'pbx.example.com', result: 'ok', secretVersion: 2,
  userAgent: null, sourceIp: '10.0.0.5', callId: null, at: '2031-02-01T11:59:00.000Z', expiresAt: '2031-02-01T12:59:00.000Z', ...over,
});

test('a report says registered with the current secret, old-secret, failed or expired', (t) => {
  t.like(stateOf(reg({}), 2, false, NOW), { state: 'registered', secretVersion: 2 });
  t.like(stateOf(reg({ secretVersion: 1 }), 2, true, NOW), { state: 'old-secret', secretVersion: 1 });
  t.like(stateOf(reg({ result: 'failed', secretVersion: null, expiresAt: '2031-02-01T11:59:00.000Z' }), 2, false, NOW), { state: 'failed' });
  t.like(stateOf(reg({ expiresAt: '2031-02-01T11:59:30.000Z' }), 2, false, NOW), { state: 'expired' });
  // Without a version: the current one when only it is accepted, else nobody can tell.
  t.like(stateOf(reg({ secretVersion: null }), 2, false, NOW), { state: 'registered', secretVersion: 2 });
  t.like(stateOf(reg({ secretVersion: null }), 2, true, NOW), { state: 'unknown', secretVersion: null });
  t.like(lineRegistration([], 2, false, NOW), { state: 'unknown', at: null });
  t.like(lineRegistration([reg({ at: '2031-02-01T11:00:00.000Z' }), reg({ result: 'failed', secretVersion: null, at: '2031-02-01T11:30:00.000Z' })], 2, false, NOW), { state: 'failed' }, 'the newest report speaks');
});

test('reports are matched to one of several devices by MAC, else by a fetch address no other device shares, else not at all', (t) => {
  const a = { mac: '805ec0000001', lastFetch: { ip: '10.0.0.5' } };
  const b = { mac: '001565000002', lastFetch: { ip: '10.0.0.6' } };
  const c = { mac: '0004f2000003', lastFetch: { ip: '10.0.0.6' } };
  const byUa = reg({ userAgent: 'Grandstream GXP2170 1.0.11.3 00:15:65:00:00:02', sourceIp: '10.9.9.9' });
  const byIp = reg({ contact: 'sip:1001@10.0.0.5:5060', sourceIp: '10.0.0.5' });
  const shared = reg({ contact: 'sip:1001@10.0.0.6:5061', sourceIp: '10.0.0.6' });
  t.deepEqual(registrationsOfDevice(a, [a], [byUa, byIp, shared]), [byUa, byIp, shared], 'the only device on the extension takes every report');
  t.deepEqual(registrationsOfDevice(b, [a, b, c], [byUa, byIp, shared]), [byUa], 'named by MAC');
  t.deepEqual(registrationsOfDevice(a, [a, b, c], [byUa, byIp, shared]), [byIp], 'its own fetch address');
  t.deepEqual(registrationsOfDevice(c, [a, b, c], [byUa, byIp, shared]), [], 'an address two devices share: unknown, not a guess');
  t.deepEqual(registrationsOfDevice({ mac: '805ec0000009', lastFetch: null }, [a, { mac: '805ec0000009', lastFetch: null }], [byIp]), []);
});

test('the contacts a rotation waits for are the live ones on an older secret', (t) => {
  const regs = [reg({ contact: 'sip:a', secretVersion: 1 }), reg({ contact: 'sip:b', secretVersion: 2 }), reg({ contact: 'sip:c', secretVersion: 1, expiresAt: '2031-02-01T11:00:00.000Z' }), reg({ contact: 'sip:d', result: 'failed', secretVersion: null })];
  t.deepEqual(contactsOnOldSecret(regs, 2, NOW), ['sip:a']);
});
