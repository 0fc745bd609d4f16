// Where a webhook may deliver: a public address, unless the operator allows
// a range (PROV_WEBHOOK_ALLOW) for a receiver on the inside. Deliveries are
// triggered by what anonymous phones do (device.detected), so a receiver URL
// pointing at loopback, the metadata service or the office LAN would make
// this server a probe of its own network. The host is checked when the
// webhook is made and again at every delivery, against the address the
// connection then goes to, so a DNS name that changes its answer (rebinding)
// is caught at the moment it matters.
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { inAny, parseAddress, parseNetworkList, type Network } from '../domain/ip.ts';

/** Loopback, unspecified, private, shared (CGNAT), link-local, unique-local, multicast, reserved and documentation ranges. */
const INSIDE = parseNetworkList(
  [
    '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
    '192.0.2.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
    '::/96', '::1/128', '64:ff9b::/96', '100::/64', '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'ff00::/8',
  ].join(','),
).networks;

/** Whether a delivery may connect to this address. IPv4-mapped IPv6 is judged as the IPv4 address it carries. */
export function allowedAddress(address: string, allow: readonly Network[]): boolean {
  if (!parseAddress(address)) return false;
  return inAny(address, allow) || !inAny(address, INSIDE);
}

/** The URL's host without IPv6 brackets; the URL parser has already read 0x7f000001, 2130706433 and 0177.0.0.1 as 127.0.0.1. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Null when the URL's host is a public address or a name whose every answer
 * is one (or an allowed one); otherwise why not. A name that does not resolve
 * now is left to the check at delivery.
 */
export async function destinationProblem(url: URL, allow: readonly Network[]): Promise<string | null> {
  const host = hostOf(url);
  const literal = parseAddress(host);
  const addresses = literal ? [host] : await lookup(host, { all: true, verbatim: true }).then((r) => r.map((a) => a.address), () => []);
  const inside = addresses.find((a) => !allowedAddress(a, allow));
  return inside === undefined ? null : 'the receiver must be on a public address (or in PROV_WEBHOOK_ALLOW)';
}

/**
 * A resolver for node:http that answers only with addresses a delivery may
 * connect to, so the address checked is the address connected to.
 */
export function checkedLookup(allow: readonly Network[]): LookupFunction {
  return (hostname, options, callback) => {
    const host = hostname.replace(/^\[|\]$/g, '');
    const answer = (addresses: { address: string; family: number }[]) => {
      const ok = addresses.filter((a) => allowedAddress(a.address, allow));
      if (ok.length === 0) return callback(Object.assign(new Error('forbidden destination'), { code: 'EFORBIDDEN' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: typeof ok) => void)(null, ok);
      return callback(null, ok[0]!.address, ok[0]!.family);
    };
    const literal = parseAddress(host);
    if (literal) return answer([{ address: host, family: literal.family === 4 && !host.includes(':') ? 4 : 6 }]);
    lookup(host, { all: true, verbatim: true }).then(answer, (err: NodeJS.ErrnoException) => callback(err, '', 0));
  };
}
