// Addresses and networks: parsing, IPv4-mapped folding, CIDR membership, the
// /64 an IPv6 client is counted under, and the client-address rule for
// X-Forwarded-For behind trusted proxies.
import test from 'ava';
import fc from 'fast-check';
import { clientKey, formatAddress, inAny, parseAddress, parseNetwork, parseNetworkList } from '../../server/domain/ip.ts';
import { clientAddress } from '../../server/http/client-address.ts';

const nets = (text: string) => parseNetworkList(text).networks;

test('addresses parse and print canonically; IPv4-mapped IPv6 is the IPv4 address', (t) => {
  for (const [input, out] of [
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::FFFF:c000:0201', '192.0.2.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::', '::'],
    ['::1', '::1'],
  ] as const) {
    t.is(formatAddress(parseAddress(input)!), out, input);
  }
  for (const bad of ['', '256.1.1.1', '1.2.3', '01.2.3.4', '1::2::3', '12345::', 'nginx', '1.2.3.4/8', ':::', '1:2:3:4:5:6:7:8:9']) {
    t.is(parseAddress(bad), null, bad);
  }
});

test('networks: CIDR and bare addresses, membership across families', (t) => {
  t.is(parseNetwork('10.1.2.3/8')!.text, '10.0.0.0/8');
  t.is(parseNetwork('2001:db8::7')!.text, '2001:db8::7/128');
  t.is(parseNetwork('::ffff:10.0.0.0/104')!.text, '10.0.0.0/8');
  for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/8/8', 'x/8']) t.is(parseNetwork(bad), null, bad);
  const list = nets('127.0.0.0/8, ::1 10.0.0.0/8,fc00::/7');
  t.true(inAny('10.200.0.1', list));
  t.true(inAny('::ffff:127.0.0.9', list), 'a mapped address is in the IPv4 network');
  t.true(inAny('fd12::5', list));
  t.false(inAny('11.0.0.1', list));
  t.false(inAny('2001:db8::1', list));
  t.false(inAny('not an address', list));
  t.deepEqual(parseNetworkList('10.0.0.0/8, nope').bad, ['nope']);
});

test('an IPv6 client is counted by its /64, an IPv4 one by itself', (t) => {
  t.is(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.is(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  t.not(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  t.is(clientKey('::ffff:192.0.2.7'), '192.0.2.7');
  fc.assert(
    fc.property(fc.ipV6(), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (ip, low) => {
      const a = parseAddress(ip)!;
      if (a.family !== 6) return;
      const b = new Uint8Array(a.bytes);
      for (let i = 0; i < 8; i++) b[15 - i] = Number((low >> BigInt(8 * i)) & 0xffn);
      return clientKey(formatAddress({ family: 6, bytes: b })) === clientKey(ip);
    }),
  );
});

test('X-Forwarded-For is read from the right, and only as far as trusted proxies wrote it', (t) => {
  const trusted = nets('127.0.0.1, 10.0.0.0/8');
  t.is(clientAddress('203.0.113.5', '198.51.100.1', trusted), '203.0.113.5', 'an untrusted peer is the client');
  t.is(clientAddress('127.0.0.1', undefined, trusted), '127.0.0.1');
  t.is(clientAddress('127.0.0.1', '1.1.1.1, 198.51.100.1', trusted), '198.51.100.1');
  t.is(clientAddress('::ffff:127.0.0.1', '1.1.1.1, 198.51.100.1, 10.0.0.2', trusted), '198.51.100.1');
  t.is(clientAddress('127.0.0.1', 'garbage, 10.0.0.2', trusted), '10.0.0.2', 'garbage stops at the last proxy we can name');
  t.is(clientAddress('127.0.0.1', '198.51.100.1', []), '127.0.0.1', 'no trusted proxies: the header means nothing');
  // Whatever the client prepends, the hop our proxy appended wins.
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), { maxLength: 6 }), (forged) => {
      const header = [...forged.map((f) => f.replace(/,/g, '')), '198.51.100.77'].join(', ');
      return clientAddress('127.0.0.1', header, trusted) === '198.51.100.77';
    }),
  );
});
