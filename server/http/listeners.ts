// The listening sockets: every port (HTTP, HTTPS, the admin port) is taken
// with the same limits before anything else happens, so a port in use stops
// the boot before a file is written, and until the app is built each bound
// port answers 503.
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config.ts';
import { guardConnections } from './connection-guard.ts';

/** A port that cannot be had: the boot stops with this one line, before anything is written. */
export class ListenError extends Error {
  constructor(readonly port: number, code: string | undefined) {
    super(
      code === 'EADDRINUSE'
        ? `port ${port} is already in use`
        : code === 'EACCES'
          ? `port ${port} needs more privileges than this process has`
          : `port ${port} cannot be listened on (${code ?? 'error'})`,
    );
    this.name = 'ListenError';
  }
}

/**
 * Limits on every listener. A phone's request is a few hundred bytes of
 * headers and a small or empty body, so these only ever cut off clients that
 * hold a connection without using it.
 */
export const LISTENER_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxHeadersCount: 100,
  maxHeaderSize: 16 * 1024,
  maxUnproven: 1024,
  /** The share of the unproven slots one address may hold. */
  maxUnprovenPerAddress: 128,
} as const;

function limitedServer(tls: { cert: Buffer; key: Buffer } | null, trustProxy: boolean): Server {
  const options = {
    maxHeaderSize: LISTENER_LIMITS.maxHeaderSize,
    requestTimeout: LISTENER_LIMITS.requestTimeoutMs,
    headersTimeout: LISTENER_LIMITS.headersTimeoutMs,
    keepAliveTimeout: LISTENER_LIMITS.keepAliveTimeoutMs,
    // Node checks the two timeouts above on this interval (30 s by default).
    connectionsCheckingInterval: 1_000,
  };
  const server = tls ? https.createServer({ ...options, ...tls, handshakeTimeout: LISTENER_LIMITS.headersTimeoutMs }) : http.createServer(options);
  server.maxHeadersCount = LISTENER_LIMITS.maxHeadersCount;
  guardConnections(server, {
    maxUnproven: LISTENER_LIMITS.maxUnproven,
    // Behind a proxy every connection comes from the proxy's address.
    maxUnprovenPerAddress: trustProxy ? 0 : LISTENER_LIMITS.maxUnprovenPerAddress,
  });
  return server;
}

function listenOn(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(port, err.code)));
    server.listen(port, host, () => resolve(server));
  });
}

/** What a bound port answers until the app is built. */
const NOT_YET: http.RequestListener = (_req, res) => {
  res.writeHead(503, { 'Retry-After': '1', Connection: 'close' }).end();
};

export interface Bound {
  servers: Server[];
  /** Hands requests to the app; until then each is answered 503. */
  serve: (handler: http.RequestListener) => void;
  close: () => Promise<void>;
}

/** Listens on each (server, port, host) in turn; until `serve`, every request is answered 503. */
async function bindServers(wanted: [Server, number, string][]): Promise<Bound> {
  let handle = NOT_YET;
  const servers: Server[] = [];
  const close = async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    })));
  };
  try {
    for (const [server, port, host] of wanted) {
      server.on('request', (req, res) => handle(req, res));
      servers.push(await listenOn(server, port, host));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { servers, serve: (handler) => void (handle = handler), close };
}

/**
 * Takes the ports (HTTP and, when configured, HTTPS) before anything else
 * happens, so that a port in use stops the boot before a file is written.
 */
export async function bind(config: Config): Promise<Bound> {
  const proxied = config.trustedProxies.length > 0;
  const wanted: [Server, number, string][] = [[limitedServer(null, proxied), config.port, config.host]];
  if (config.tls) wanted.push([limitedServer(readTls(config.tls), proxied), config.tls.port, config.host]);
  return bindServers(wanted);
}

/** The admin listener (PROV_ADMIN_PORT), HTTPS when the server has a certificate; null when there is none. */
export async function bindAdmin(config: Config): Promise<Bound | null> {
  if (!config.admin) return null;
  const tls = config.tls ? readTls(config.tls) : null;
  return bindServers([[limitedServer(tls, config.trustedProxies.length > 0), config.admin.port, config.admin.host]]);
}

/** Listens on HTTP and, when configured, HTTPS too; both serve the same app. */
export async function listen(app: http.RequestListener, config: Config): Promise<Server[]> {
  const bound = await bind(config);
  bound.serve(app);
  return bound.servers;
}

export function readTls(tls: NonNullable<Config['tls']>): { cert: Buffer; key: Buffer } {
  try {
    return { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) };
  } catch (err) {
    throw new ConfigError('PROV_TLS_CERT', `or PROV_TLS_KEY cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}

export function logListening(servers: Server[], config: Config, log: Logger, msg = 'listening'): void {
  for (const server of servers) {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    log.info({ url: config.publicUrl, dataDir: config.dataDir, port, tls: server instanceof https.Server }, msg);
  }
}

/** Stops taking connections and lets those in flight finish; idle keep-alive connections go at once. */
export function closeServers(servers: Server[]): Promise<void> {
  return new Promise((resolve) => {
    let open = servers.length;
    if (open === 0) resolve();
    for (const server of servers) {
      server.close(() => {
        if (--open === 0) resolve();
      });
      server.closeIdleConnections();
    }
  });
}
