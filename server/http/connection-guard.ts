// A bound on connections that have not yet sent a complete request head.
// Slow-header clients can only ever hold these "unproven" slots, and when
// they are all taken the oldest is dropped for the newcomer, so a phone that
// connects and asks at once always gets its request in. One address may hold
// only a share of the slots, so a single host cannot take them all either.
// Once a request head is complete the connection is bounded by the request
// and keep-alive timeouts instead.
import type { Server } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Unproven connections held per listener. */
  maxUnproven: number;
  /** At most this many of them from one address (0: no per-address bound, e.g. behind a proxy). */
  maxUnprovenPerAddress: number;
}

export function guardConnections(server: Server, limits: ConnectionLimits): void {
  // Insertion order is age order: the first entry is the oldest.
  const unproven = new Set<Socket>();
  const perAddress = new Map<string, number>();

  const release = (socket: Socket) => {
    if (!unproven.delete(socket)) return;
    const address = socket.remoteAddress ?? '';
    const left = (perAddress.get(address) ?? 1) - 1;
    if (left > 0) perAddress.set(address, left);
    else perAddress.delete(address);
  };

  const drop = (socket: Socket) => {
    release(socket);
    socket.destroy();
  };

  // Over TLS the socket a request arrives on is the TLS one; the handshake
  // before it is bounded by the listener's handshake timeout.
  const opened = server instanceof https.Server ? 'secureConnection' : 'connection';
  server.on(opened, (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (limits.maxUnprovenPerAddress > 0 && (perAddress.get(address) ?? 0) >= limits.maxUnprovenPerAddress) {
      // This address already holds its share: its own oldest waiting connection makes room.
      for (const s of unproven) {
        if ((s.remoteAddress ?? '') === address) {
          drop(s);
          break;
        }
      }
    }
    if (unproven.size >= limits.maxUnproven) drop(unproven.values().next().value!);
    unproven.add(socket);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    socket.once('close', () => release(socket));
  });
  server.on('request', (req) => release(req.socket as Socket));
}
