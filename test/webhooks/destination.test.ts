// The destination rules on their own: which addresses a delivery may reach,
// and that the check holds at connection time for a name, whatever the URL
// said when the webhook was made (a name that now resolves to loopback).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { parseNetworkList } from '../../server/domain/ip.ts';
import { allowedAddress } from '../../server/webhooks/destination.ts';
import { postOnce } from '../../server/webhooks/post.ts';

const none = parseNetworkList('').networks;

test('public addresses are allowed; loopback, private, link-local, unique-local, multicast and unspecified are not', (t) => {
  for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8']) t.true(allowedAddress(a, none), a);
  for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.31.0.1', '192.168.0.1', '169.254.169.254', 'fe80::1', 'fd12::1', '224.0.0.1', 'ff02::1', '0.0.0.0', '::', '100.64.0.1']) {
    t.false(allowedAddress(a, none), a);
  }
  t.true(allowedAddress('127.0.0.1', parseNetworkList('127.0.0.0/8').networks), 'an allowed range');
  t.false(allowedAddress('not-an-address', none));
});

test('at delivery a name is connected to only where the rules allow: localhost is not reached, even with a receiver listening', async (t) => {
  let hits = 0;
  const rx = http.createServer((_req, res) => {
    hits++;
    res.end();
  });
  await new Promise<void>((resolve) => rx.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => rx.close(() => resolve())));
  const port = (rx.address() as AddressInfo).port;
  const options = { timeoutMs: 2_000, signal: new AbortController().signal };
  const blocked = await postOnce(`http://localhost:${port}/hook`, '{}', {}, { ...options, allow: none });
  t.deepEqual(blocked.status, null);
  t.is(hits, 0, 'nothing reached the receiver');
  const literal = await postOnce(`http://127.0.0.1:${port}/hook`, '{}', {}, { ...options, allow: none });
  t.is(literal.status, null);
  const allowed = await postOnce(`http://localhost:${port}/hook`, '{}', {}, { ...options, allow: parseNetworkList('127.0.0.0/8,::1').networks });
  t.is(allowed.status, 200);
  t.is(hits, 1);
});
