import test from 'ava';
import { notifyView, parseSipContact, type NotifyRecord } from '../../server/domain/notify.ts';

const acked: NotifyRecord = { state: 'acknowledged', via: 'direct', target: 'udp:10.0.0.7:5060', at: '2024-05-01T10:00:00.000Z', code: 200, attempts: 1, key: 'v3' };
const fetchAt = (at: string) => ({ at, ip: '10.0.0.7', userAgent: 'x', file: 'x.cfg' });

test('an acknowledged NOTIFY without a fetch since becomes no-fetch after two minutes', (t) => {
  t.is(notifyView(acked, null, new Date('2024-05-01T10:01:59.000Z'))!.state, 'acknowledged');
  t.is(notifyView(acked, null, new Date('2024-05-01T10:02:00.000Z'))!.state, 'no-fetch');
  t.is(notifyView(acked, fetchAt('2024-05-01T09:00:00.000Z'), new Date('2024-05-01T11:00:00.000Z'))!.state, 'no-fetch', 'an older fetch does not count');
  t.is(notifyView(acked, fetchAt('2024-05-01T10:00:05.000Z'), new Date('2024-05-01T11:00:00.000Z'))!.state, 'acknowledged');
  t.is(notifyView({ ...acked, state: 'no-fetch' }, null, new Date(0))!.state, 'no-fetch');
  t.false('key' in notifyView(acked, null, new Date(0))!, 'the change key is internal');
  t.is(notifyView(null, null, new Date()), null);
});

test('sipContact parsing: transports, default ports, IPv6, and refusals', (t) => {
  t.deepEqual(parseSipContact('sip:10.0.4.7:5060;transport=udp'), { host: '10.0.4.7', port: 5060, transport: 'udp' });
  t.deepEqual(parseSipContact('sip:phone.lan;transport=TCP'), { host: 'phone.lan', port: 5060, transport: 'tcp' });
  t.deepEqual(parseSipContact('sips:[2001:db8::7]'), { host: '2001:db8::7', port: 5061, transport: 'tls' });
  t.deepEqual(parseSipContact('sip:1001@10.0.4.7:5070'), { host: '10.0.4.7', port: 5070, transport: 'udp' });
  for (const bad of ['', '10.0.4.7', 'sip:', 'sip:h:0', 'sip:h:65536', 'sip:h;transport=ws', 'tel:+1', 'sip:h\n', 'sip:h x']) {
    t.is(parseSipContact(bad), null, JSON.stringify(bad));
  }
});
