// IP addresses and networks: parsing (IPv4, IPv6, IPv4-mapped IPv6 folded to
// IPv4), CIDR lists for "where may this come from" rules, and the key a
// client is counted under (IPv6 per /64: one subscriber gets a whole /64 and
// can walk it freely).
export interface Address {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Network {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  /** As written in the configuration, normalised. */
  text: string;
}

function parseV4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0')) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(s: string): Uint8Array | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes('.')) {
        const v4 = parseV4(item);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** An address, or null when the text is not one. `::ffff:a.b.c.d` is the IPv4 address a.b.c.d. */
export function parseAddress(text: string): Address | null {
  let s = text.trim();
  // A zone (fe80::1%eth0) names an interface, not a different address.
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const v4 = parseV4(s);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseV6(s);
  if (!v6) return null;
  if (MAPPED_PREFIX.every((b, i) => v6[i] === b)) return { family: 4, bytes: v6.slice(12) };
  return { family: 6, bytes: v6 };
}

export function formatAddress(a: Address): string {
  if (a.family === 4) return Array.from(a.bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a.bytes[i]! << 8) | a.bytes[i + 1]!).toString(16));
  // The longest run of zero groups (two or more) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A network in CIDR notation, or a bare address (a /32 or /128); null when it is neither. */
export function parseNetwork(text: string): Network | null {
  const [addr, bits, extra] = text.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const max = a.family === 4 ? 32 : 128;
  // A mapped address with a prefix counts the prefix over the IPv6 form.
  const mappedShift = a.family === 4 && addr.includes(':') ? 96 : 0;
  let prefix = max;
  if (bits !== undefined) {
    if (!/^\d{1,3}$/.test(bits)) return null;
    prefix = Number(bits) - mappedShift;
    if (prefix < 0 || prefix > max) return null;
  }
  const bytes = masked(a.bytes, prefix);
  return { family: a.family, bytes, prefix, text: `${formatAddress({ family: a.family, bytes })}/${prefix}` };
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export function inNetwork(a: Address, n: Network): boolean {
  if (a.family !== n.family) return false;
  const m = masked(a.bytes, n.prefix);
  return m.every((b, i) => b === n.bytes[i]);
}

/** Parses a comma- or space-separated list; returns the entries that are not networks as `bad`. */
export function parseNetworkList(text: string): { networks: Network[]; bad: string[] } {
  const networks: Network[] = [];
  const bad: string[] = [];
  for (const item of text.split(/[\s,]+/).filter(Boolean)) {
    const n = parseNetwork(item);
    if (n) networks.push(n);
    else bad.push(item);
  }
  return { networks, bad };
}

export function inAny(address: string, networks: readonly Network[]): boolean {
  const a = parseAddress(address);
  return !!a && networks.some((n) => inNetwork(a, n));
}

/** What a client is counted under: an IPv4 address itself, an IPv6 address by its /64. */
export function clientKey(address: string): string {
  const a = parseAddress(address);
  if (!a) return address;
  if (a.family === 4) return formatAddress(a);
  return `${formatAddress({ family: 6, bytes: masked(a.bytes, 64) })}/64`;
}

/** Loopback and the private ranges: where desk phones live. */
export const DEFAULT_CLAIM_NETWORKS = '127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';
