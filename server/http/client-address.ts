// Who the client is. Without trusted proxies, the peer of the connection.
// Behind proxies, X-Forwarded-For is read from the right: each trusted proxy
// appends the address it received from, so the rightmost hop that is not one
// of ours is the first one nobody we trust could have made up; everything to
// its left was written by the client. Koa's own proxy mode takes the leftmost
// hop, which is the client's choice.
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { formatAddress, inAny, parseAddress, type Network } from '../domain/ip.ts';

/** The client address of a request that reached us from `peer` with this X-Forwarded-For. */
const normal = (s: string) => {
  const a = parseAddress(s);
  return a ? formatAddress(a) : null;
};

// The peer addresses seen lately, normalized: a fleet's phones come back
// from the same few thousand addresses, and parsing one is a twentieth of a 401.
const PEERS_MAX = 10_000;
const peers = new Map<string, string>();
function normalPeer(peer: string): string {
  let client = peers.get(peer);
  if (client === undefined) {
    if (peers.size >= PEERS_MAX) peers.clear();
    peers.set(peer, (client = normal(peer) ?? peer));
  }
  return client;
}

export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: readonly Network[]): string {
  let client = normalPeer(peer);
  if (!trusted.length || !inAny(client, trusted) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normal(hops[i]!);
    // Garbage where a trusted proxy should have written an address: the
    // client stays the last proxy we can name.
    if (!hop) return client;
    client = hop;
    if (!inAny(hop, trusted)) return hop;
  }
  return client;
}

const header = (req: IncomingMessage, name: string): string => {
  const v = req.headers[name];
  return (Array.isArray(v) ? v[0] : v) ?? '';
};

/** Whether the client reached the first proxy (or us) over TLS. */
export function forwardedSecure(req: IncomingMessage, trusted: readonly Network[]): boolean {
  if (req.socket && (req.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trusted.length || !inAny(req.socket.remoteAddress ?? '', trusted)) return false;
  const proto = header(req, 'x-forwarded-proto').split(',')[0]?.trim().toLowerCase();
  return proto === 'https';
}

/** Who sent this request, with the trusted proxies' X-Forwarded-For read from the right. */
export const requestAddress = (req: IncomingMessage, trusted: readonly Network[]): string =>
  clientAddress(req.socket.remoteAddress ?? '', header(req, 'x-forwarded-for') || undefined, trusted);

/** Sets ctx.request.ip once, for every later middleware, and records whether the client came over TLS. */
export function clientAddressMiddleware(trusted: readonly Network[]) {
  return async (ctx: Context, next: Next) => {
    ctx.request.ip = requestAddress(ctx.req, trusted);
    ctx.state.secure = forwardedSecure(ctx.req, trusted);
    await next();
  };
}

/** TLS between the client and us or our first proxy; plain `ctx.secure` never reads X-Forwarded-Proto. */
export const clientSecure = (ctx: Context): boolean => ctx.state.secure === true || ctx.secure;
