// The notifier's own SIP transport: one UDP socket per address family, bound
// once, that every transaction shares (responses find their transaction by
// the top Via's branch), and a connection per request over TCP or TLS.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { parseResponse, splitStream, topBranch, type SipResponse } from './sip-message.ts';
import type { Channel } from './transaction.ts';

export type SipTransportName = 'udp' | 'tcp' | 'tls';

export interface Destination {
  host: string;
  port: number;
  transport: SipTransportName;
}

/** What goes into Via and Contact: where responses reach us. */
export interface SentBy {
  transport: SipTransportName;
  host: string;
  port: number;
}

export interface TransportOptions {
  /** Address the UDP socket binds to; 0.0.0.0 picks, per destination, the address that routes there. */
  bindHost: string;
  bindPort: number;
  /** Check a TLS peer's certificate (phones mostly carry self-signed ones). */
  tlsVerify: boolean;
  log: Logger;
}

export interface SipTransport {
  /** Opens a channel for one transaction: `build` makes the request once the sent-by address is known. */
  open(dest: Destination, branch: string, build: (sentBy: SentBy) => string): Promise<Channel>;
  /** The UDP port responses come back to (for tests and logs). */
  udpPort(): number;
  close(): Promise<void>;
}

type Handler = { onResponse: (res: SipResponse) => void; onError: (err: Error) => void };

/** How long a stream stays open after its transaction ended, before our FIN. */
const STREAM_LINGER_MS = 500;
const bracket = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);
export const hostPort = (host: string, port: number) => `${bracket(host)}:${port}`;

export async function openSipTransport(o: TransportOptions): Promise<SipTransport> {
  const handlers = new Map<string, Handler>();
  const sockets = new Map<4 | 6, dgram.Socket>();
  // Streams whose transaction is over, waiting for their graceful close.
  const lingering = new Set<net.Socket>();
  const routeCache = new Map<string, string>();

  const dispatch = (text: string) => {
    const res = parseResponse(text);
    const branch = res && topBranch(res);
    if (!res || !branch) return;
    handlers.get(branch)?.onResponse(res);
  };

  async function udpSocket(family: 4 | 6): Promise<dgram.Socket> {
    const open = sockets.get(family);
    if (open) return open;
    const socket = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    socket.on('message', (msg) => dispatch(msg.toString('latin1')));
    socket.on('error', (err) => o.log.warn({ err }, 'SIP UDP socket error'));
    const bindHost = family === 4 ? (isIP(o.bindHost) === 6 ? '0.0.0.0' : o.bindHost) : '::';
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.bindPort && family === 4 ? o.bindPort : 0, bindHost, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.unref();
    sockets.set(family, socket);
    return socket;
  }

  /** The local address the system would send from to reach `ip`. */
  async function routeTo(ip: string, family: 4 | 6): Promise<string> {
    const bound = family === 4 ? o.bindHost : '::';
    if (bound !== '0.0.0.0' && bound !== '::') return bound;
    const cached = routeCache.get(ip);
    if (cached) return cached;
    const probe = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    try {
      const local = await new Promise<string>((resolve, reject) => {
        probe.once('error', reject);
        probe.connect(9, ip, () => resolve(probe.address().address));
      });
      if (routeCache.size > 10_000) routeCache.clear();
      routeCache.set(ip, local);
      return local;
    } finally {
      probe.close();
    }
  }

  async function resolveHost(host: string): Promise<{ ip: string; family: 4 | 6 }> {
    const literal = isIP(host);
    if (literal) return { ip: host, family: literal as 4 | 6 };
    const found = await lookup(host);
    return { ip: found.address, family: found.family as 4 | 6 };
  }

  function register(branch: string): { listen: Channel['listen']; forget: () => void } {
    return {
      listen: (onResponse, onError) => void handlers.set(branch, { onResponse, onError }),
      forget: () => void handlers.delete(branch),
    };
  }

  async function openUdp(dest: Destination, branch: string, build: (s: SentBy) => string): Promise<Channel> {
    const { ip, family } = await resolveHost(dest.host);
    const socket = await udpSocket(family);
    const sentBy = { transport: 'udp' as const, host: await routeTo(ip, family), port: socket.address().port };
    const bytes = Buffer.from(build(sentBy), 'latin1');
    const { listen, forget } = register(branch);
    return {
      reliable: false,
      send: () =>
        socket.send(bytes, dest.port, ip, (err) => {
          if (err) handlers.get(branch)?.onError(err);
        }),
      listen,
      close: forget,
    };
  }

  async function openStream(dest: Destination, branch: string, build: (s: SentBy) => string): Promise<Channel> {
    const { ip } = await resolveHost(dest.host);
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s =
        dest.transport === 'tls'
          ? tls.connect({ host: ip, port: dest.port, servername: isIP(dest.host) ? undefined : dest.host, rejectUnauthorized: o.tlsVerify }, () => resolve(s))
          : net.connect({ host: ip, port: dest.port }, () => resolve(s));
      s.once('error', reject);
      s.setTimeout(60_000, () => s.destroy(new Error('connection idle')));
    });
    socket.removeAllListeners('error');
    const sentBy = { transport: dest.transport, host: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 };
    const bytes = build(sentBy);
    const { listen, forget } = register(branch);
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const { messages, rest } = splitStream(buffer + chunk);
      buffer = rest;
      for (const m of messages) dispatch(m);
    });
    const fail = (err: Error) => handlers.get(branch)?.onError(err);
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed before a final response')));
    return {
      reliable: true,
      send: () => void socket.write(bytes, 'latin1'),
      listen,
      close: () => {
        forget();
        // A graceful close, a moment after the final response: a phone that
        // sees the connection drop while it is still finishing its side of the
        // transaction may count it as failed.
        socket.removeAllListeners('close');
        socket.on('error', () => undefined);
        lingering.add(socket);
        socket.once('close', () => lingering.delete(socket));
        setTimeout(() => socket.end(), STREAM_LINGER_MS).unref();
        setTimeout(() => socket.destroy(), STREAM_LINGER_MS + 5_000).unref();
      },
    };
  }

  if (o.bindPort) await udpSocket(4);
  return {
    open: (dest, branch, build) => (dest.transport === 'udp' ? openUdp(dest, branch, build) : openStream(dest, branch, build)),
    udpPort: () => sockets.get(4)?.address().port ?? 0,
    async close() {
      for (const socket of lingering) socket.destroy();
      lingering.clear();
      for (const socket of sockets.values()) await new Promise<void>((resolve) => socket.close(() => resolve()));
      sockets.clear();
      handlers.clear();
    },
  };
}
