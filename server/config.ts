// The server's configuration: read once from the environment at start into a
// typed object. A bad value stops the boot with one line naming the variable;
// secret-bearing variables are never echoed back.
import fs from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_CLAIM_NETWORKS, parseNetworkList, type Network } from './domain/ip.ts';
import { CaBundleError, readCaBundle } from './render/ca-bundle.ts';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  /** PROV_PUBLIC_URL was not set: publicUrl was made from the host name, which phones often cannot resolve. */
  publicUrlDerived: boolean;
  dataDir: string;
  /** 32 bytes, or null to use (and on first start create) the key file in dataDir. */
  secretKey: Buffer | null;
  adminToken: string | null;
  logLevel: string;
  /** Operator template folder that overrides the built-in templates, or null. */
  templatesDir: string | null;
  maxUnassigned: number;
  claimMinutes: number;
  /** Basic credentials from phones over plain HTTP (always accepted over HTTPS). */
  allowBasicOverHttp: boolean;
  /** How long a Digest nonce stays fresh. */
  nonceSeconds: number;
  scan: { threshold: number; windowSeconds: number; cooldownSeconds: number; exempt: Network[] };
  /** How long audit events are kept; the sweep deletes older ones. */
  auditDays: number;
  tls: { cert: string; key: string; port: number } | null;
  /** Defaults for softphone links that do not say. */
  linkExpiryMinutes: number;
  linkMaxUses: number;
  /** Minutes between render sweeps (reconciles under the store lease); 0 turns the sweep off. */
  sweepMinutes: number;
  /** MongoDB instead of the embedded SQLite store, for several instances. */
  mongo: { uri: string; database: string | undefined } | null;
  /**
   * The reverse proxies in front (nginx, HAProxy): the client is the rightmost
   * X-Forwarded-For hop that is not one of them. Empty: X-Forwarded-* ignored.
   */
  trustedProxies: Network[];
  /** Where claim-window fetches may come from. */
  claimNetworks: Network[];
  /** PEM bundle of the CA(s) that signed the registrar's TLS certificate, checked at start; null: phones keep their own trust store. */
  sipCaFile: string | null;
  /** Processes serving HTTP (node:cluster workers); 1 serves from the one process. */
  workers: number;
  /**
   * PROV_ADMIN_PORT: the admin API and the console on a listener of their
   * own (HTTPS when the server has a certificate), served by the primary
   * process, and no longer on the phones' port; null: one port serves all.
   */
  admin: { port: number; host: string } | null;
  /** How long a changed secret's predecessor stays accepted by the registrar feed at most. */
  rotationGraceMinutes: number;
  /** CIDR blocks the registrar feed answers from, or null for any address. */
  pbxNetworks: string[] | null;
  /**
   * Webhook delivery: how long one attempt may take, for how long failures
   * are retried, the first retry's delay (doubling up to an hour) and how
   * often the queue is looked at for retries and other instances' leftovers.
   */
  webhooks: { timeoutSeconds: number; retryHours: number; backoffMs: number; pollMs: number; allow: Network[] };
  /** SIP NOTIFY check-sync after a change (server/notify). */
  notify: NotifyConfig;
}

export interface NotifyConfig {
  /** off: phones wait for their poll; direct: to the phone; proxy: via the line's registrar. */
  mode: 'off' | 'direct' | 'proxy';
  /** NOTIFY starts per second, and how many may wait for an answer at once. */
  rate: number;
  concurrency: number;
  /** Each queued device waits a random time up to this before its turn. */
  jitterMs: number;
  /** RFC 3261 T1, T2 and timer F (64 × T1 unless set). */
  t1Ms: number;
  t2Ms: number;
  timerFMs: number;
  /** Waits before each retry of a NOTIFY that got no answer; then polling takes over. */
  backoffMs: number[];
  /** After an acknowledged NOTIFY, how long a fetch may take before the device shows no-fetch. */
  fetchWaitMs: number;
  /** The UDP socket's address and port (0: any free port). */
  bindHost: string;
  bindPort: number;
  /** Check the certificate of a TLS peer. */
  tlsVerify: boolean;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

// A connection string can hold a password.
const SECRET_VARIABLES = new Set(['PROV_SECRET_KEY', 'PROV_ADMIN_TOKEN', 'MONGODB_URI']);

/** The most NOTIFYs that may wait for an answer at once (PROV_NOTIFY_CONCURRENCY, and its derived default). */
const MAX_NOTIFY_IN_FLIGHT = 10_000;

const PORT_RULE = 'must be a whole number from 0 to 65535';
const port = z.string().regex(/^\d{1,5}$/, PORT_RULE).transform(Number).pipe(z.number().max(65535, PORT_RULE));

function wholeNumber(min: number, max: number) {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.string().regex(/^\d{1,9}$/, rule).refine((v) => Number(v) >= min && Number(v) <= max, rule);
}

/** A whole number, or undefined when unset: for a default derived from other settings. */
const optionalWholeNumber = (min: number, max: number) =>
  wholeNumber(min, max).optional().transform((v) => (v === undefined ? undefined : Number(v)));

const schema = z.object({
  PORT: z.string().default('8080').pipe(port),
  HOST: z.string().min(1).default('0.0.0.0'),
  PROV_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  PROV_DATA_DIR: z.string().min(1).default('./data'),
  PROV_SECRET_KEY: z
    .string()
    .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v.trim()), 'must be the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)')
    .optional(),
  PROV_ADMIN_TOKEN: z.string().min(20, 'must be at least 20 characters long').optional(),
  PROV_TEMPLATES_DIR: z.string().min(1).optional(),
  PROV_MAX_UNASSIGNED: wholeNumber(1, 1_000_000).default('1000').pipe(z.coerce.number()),
  PROV_CLAIM_MINUTES: wholeNumber(0, 525_600).default('60').pipe(z.coerce.number()),
  PROV_ALLOW_BASIC_OVER_HTTP: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  PROV_NONCE_SECONDS: wholeNumber(10, 86_400).default('300').pipe(z.coerce.number()),
  PROV_SCAN_THRESHOLD: wholeNumber(1, 1_000_000).default('30').pipe(z.coerce.number()),
  PROV_SCAN_WINDOW_SECONDS: wholeNumber(1, 86_400).default('60').pipe(z.coerce.number()),
  PROV_SCAN_COOLDOWN_SECONDS: wholeNumber(1, 604_800).default('600').pipe(z.coerce.number()),
  PROV_SCAN_EXEMPT: z.string().default(''),
  PROV_AUDIT_DAYS: wholeNumber(1, 36_500).default('400').pipe(z.coerce.number()),
  PROV_TLS_CERT: z.string().min(1).optional(),
  PROV_TLS_KEY: z.string().min(1).optional(),
  PROV_TLS_PORT: z.string().default('8443').pipe(port),
  PROV_LINK_EXPIRY_MINUTES: wholeNumber(1, 43_200).default('4320').pipe(z.coerce.number()),
  PROV_LINK_MAX_USES: wholeNumber(1, 100).default('1').pipe(z.coerce.number()),
  PROV_SWEEP_MINUTES: wholeNumber(0, 1440).default('10').pipe(z.coerce.number()),
  MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// connection string')
    .optional(),
  PROV_MONGODB_DB: z.string().regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be a database name (letters, digits, _ and -)').optional(),
  PROV_TRUST_PROXY: z.string().default('false'),
  PROV_CLAIM_NETWORKS: z.string().default(DEFAULT_CLAIM_NETWORKS),
  PROV_NOTIFY: z.enum(['off', 'direct', 'proxy'], { error: 'must be off, direct or proxy' }).default('direct'),
  PROV_NOTIFY_RATE: wholeNumber(1, 10_000).default('20').pipe(z.coerce.number()),
  PROV_NOTIFY_CONCURRENCY: optionalWholeNumber(1, MAX_NOTIFY_IN_FLIGHT),
  PROV_NOTIFY_JITTER_MS: wholeNumber(0, 3_600_000).default('2000').pipe(z.coerce.number()),
  PROV_NOTIFY_T1_MS: wholeNumber(1, 60_000).default('500').pipe(z.coerce.number()),
  PROV_NOTIFY_T2_MS: wholeNumber(1, 600_000).default('4000').pipe(z.coerce.number()),
  PROV_NOTIFY_TIMER_F_MS: optionalWholeNumber(1, 3_600_000),
  PROV_NOTIFY_BACKOFF_MS: z
    .string()
    .regex(/^(none|\d{1,9}(,\d{1,9}){0,9})$/, 'must be up to 10 comma-separated milliseconds (e.g. 30000,120000,600000) or none')
    .default('30000,120000,600000'),
  PROV_NOTIFY_FETCH_WAIT_MS: wholeNumber(1, 86_400_000).default('120000').pipe(z.coerce.number()),
  PROV_NOTIFY_BIND: z.string().refine((v) => isIP(v) !== 0, 'must be an IP address').default('0.0.0.0'),
  PROV_NOTIFY_PORT: z.string().default('0').pipe(port),
  PROV_NOTIFY_TLS_VERIFY: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  PROV_SIP_CA_FILE: z.string().min(1).optional(),
  PROV_ROTATION_GRACE_MINUTES: wholeNumber(0, 525_600).default('1440').pipe(z.coerce.number()),
  PROV_PBX_NETWORKS: z
    .string()
    .refine((v) => cidrList(v) !== null, 'must be a comma-separated list of CIDR blocks such as 10.0.0.0/8, fd00::/8')
    .optional(),
  PROV_WEBHOOK_TIMEOUT_SECONDS: wholeNumber(1, 300).default('10').pipe(z.coerce.number()),
  PROV_WEBHOOK_RETRY_HOURS: wholeNumber(0, 720).default('24').pipe(z.coerce.number()),
  PROV_WEBHOOK_BACKOFF_MS: wholeNumber(10, 3_600_000).default('30000').pipe(z.coerce.number()),
  PROV_WEBHOOK_POLL_MS: wholeNumber(10, 600_000).default('5000').pipe(z.coerce.number()),
  PROV_WEBHOOK_ALLOW: z.string().default(''),
  PROV_ADMIN_PORT: z.string().pipe(port).optional(),
  PROV_ADMIN_HOST: z.string().min(1).optional(),
  PROV_WORKERS: wholeNumber(1, 256).default(String(os.availableParallelism())).pipe(z.coerce.number()),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Empty variables count as unset, as they do in most shells' `VAR= cmd`. */
function present(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') out[key] = v;
  }
  return out;
}

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const given = present(env);
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    const shown = SECRET_VARIABLES.has(variable) ? '' : ` (got ${JSON.stringify(given[variable])})`;
    throw new ConfigError(variable, `${lowerFirst(issue.message)}${shown}`);
  }
  const v = parsed.data;
  const wildcard = v.HOST === '0.0.0.0' || v.HOST === '::';
  const urlHost = wildcard ? os.hostname() : v.HOST.includes(':') ? `[${v.HOST}]` : v.HOST;
  const tls = tlsConfig(v.PROV_TLS_CERT, v.PROV_TLS_KEY, v.PROV_TLS_PORT);
  // With TLS on, phones are pointed back at the HTTPS listener unless told otherwise.
  const defaultUrl = tls ? `https://${urlHost}:${tls.port}` : `http://${urlHost}:${v.PORT}`;
  return {
    port: v.PORT,
    host: v.HOST,
    publicUrl: (v.PROV_PUBLIC_URL ?? defaultUrl).replace(/\/+$/, ''),
    publicUrlDerived: v.PROV_PUBLIC_URL === undefined,
    dataDir: path.resolve(v.PROV_DATA_DIR),
    secretKey: v.PROV_SECRET_KEY ? Buffer.from(v.PROV_SECRET_KEY.trim(), 'base64') : null,
    adminToken: v.PROV_ADMIN_TOKEN ?? null,
    logLevel: v.LOG_LEVEL,
    templatesDir: v.PROV_TEMPLATES_DIR ? path.resolve(v.PROV_TEMPLATES_DIR) : null,
    maxUnassigned: v.PROV_MAX_UNASSIGNED,
    claimMinutes: v.PROV_CLAIM_MINUTES,
    allowBasicOverHttp: v.PROV_ALLOW_BASIC_OVER_HTTP === 'true',
    nonceSeconds: v.PROV_NONCE_SECONDS,
    scan: {
      threshold: v.PROV_SCAN_THRESHOLD,
      windowSeconds: v.PROV_SCAN_WINDOW_SECONDS,
      cooldownSeconds: v.PROV_SCAN_COOLDOWN_SECONDS,
      exempt: v.PROV_SCAN_EXEMPT.trim() ? networks('PROV_SCAN_EXEMPT', v.PROV_SCAN_EXEMPT) : [],
    },
    auditDays: v.PROV_AUDIT_DAYS,
    tls,
    linkExpiryMinutes: v.PROV_LINK_EXPIRY_MINUTES,
    linkMaxUses: v.PROV_LINK_MAX_USES,
    sweepMinutes: v.PROV_SWEEP_MINUTES,
    mongo: v.MONGODB_URI ? { uri: v.MONGODB_URI, database: v.PROV_MONGODB_DB } : null,
    trustedProxies: trustedProxies(v.PROV_TRUST_PROXY),
    claimNetworks: networks('PROV_CLAIM_NETWORKS', v.PROV_CLAIM_NETWORKS),
    sipCaFile: v.PROV_SIP_CA_FILE ? checkedCaFile(v.PROV_SIP_CA_FILE) : null,
    notify: notifyConfig(v),
    rotationGraceMinutes: v.PROV_ROTATION_GRACE_MINUTES,
    pbxNetworks: v.PROV_PBX_NETWORKS ? cidrList(v.PROV_PBX_NETWORKS) : null,
    webhooks: {
      timeoutSeconds: v.PROV_WEBHOOK_TIMEOUT_SECONDS,
      retryHours: v.PROV_WEBHOOK_RETRY_HOURS,
      backoffMs: v.PROV_WEBHOOK_BACKOFF_MS,
      pollMs: v.PROV_WEBHOOK_POLL_MS,
      allow: v.PROV_WEBHOOK_ALLOW.trim() ? networks('PROV_WEBHOOK_ALLOW', v.PROV_WEBHOOK_ALLOW) : [],
    },
    workers: v.PROV_WORKERS,
    admin: adminListener(v, tls),
  };
}

function adminListener(v: z.output<typeof schema>, tls: Config['tls']): Config['admin'] {
  if (v.PROV_ADMIN_PORT === undefined) {
    if (v.PROV_ADMIN_HOST !== undefined) throw new ConfigError('PROV_ADMIN_HOST', 'is set but PROV_ADMIN_PORT is not');
    return null;
  }
  const taken = v.PROV_ADMIN_PORT === 0 ? null : v.PROV_ADMIN_PORT === v.PORT ? 'PORT' : v.PROV_ADMIN_PORT === tls?.port ? 'PROV_TLS_PORT' : null;
  if (taken) throw new ConfigError('PROV_ADMIN_PORT', `must differ from ${taken} (got ${JSON.stringify(String(v.PROV_ADMIN_PORT))})`);
  return { port: v.PROV_ADMIN_PORT, host: v.PROV_ADMIN_HOST ?? v.HOST };
}

function notifyConfig(v: z.output<typeof schema>): NotifyConfig {
  if (v.PROV_NOTIFY_T2_MS < v.PROV_NOTIFY_T1_MS) {
    throw new ConfigError('PROV_NOTIFY_T2_MS', `must not be less than PROV_NOTIFY_T1_MS (got ${v.PROV_NOTIFY_T2_MS})`);
  }
  const timerFMs = v.PROV_NOTIFY_TIMER_F_MS ?? 64 * v.PROV_NOTIFY_T1_MS;
  return {
    mode: v.PROV_NOTIFY,
    rate: v.PROV_NOTIFY_RATE,
    concurrency: v.PROV_NOTIFY_CONCURRENCY ?? notifyInFlight(v.PROV_NOTIFY_RATE, timerFMs),
    jitterMs: v.PROV_NOTIFY_JITTER_MS,
    t1Ms: v.PROV_NOTIFY_T1_MS,
    t2Ms: v.PROV_NOTIFY_T2_MS,
    timerFMs,
    backoffMs: v.PROV_NOTIFY_BACKOFF_MS === 'none' ? [] : v.PROV_NOTIFY_BACKOFF_MS.split(',').map(Number),
    fetchWaitMs: v.PROV_NOTIFY_FETCH_WAIT_MS,
    bindHost: v.PROV_NOTIFY_BIND,
    bindPort: v.PROV_NOTIFY_PORT,
    tlsVerify: v.PROV_NOTIFY_TLS_VERIFY === 'true',
  };
}

/**
 * How many NOTIFYs may wait for an answer at once, unless set. A phone that
 * never answers (switched off, or behind a NAT that drops the NOTIFY) holds
 * its try open until timer F; were the bound smaller than what the rate
 * starts within timer F, a handful of silent phones would fill it and hold
 * back every phone that answers. So the rate is what limits, and the bound
 * only keeps a runaway in check. A try in flight is a timer and a datagram
 * (over TCP or TLS, a connection), cheap by the thousand.
 */
export function notifyInFlight(rate: number, timerFMs: number): number {
  return Math.min(MAX_NOTIFY_IN_FLIGHT, Math.max(10, Math.ceil((rate * timerFMs) / 1000)));
}

function networks(variable: string, text: string): Network[] {
  const { networks: list, bad } = parseNetworkList(text);
  if (bad.length) throw new ConfigError(variable, `must be a list of addresses or CIDR networks (got ${JSON.stringify(bad[0])})`);
  if (list.length === 0) throw new ConfigError(variable, 'must name at least one address or CIDR network');
  return list;
}

function trustedProxies(text: string): Network[] {
  if (text.trim().toLowerCase() === 'false') return [];
  // "true" used to mean "trust whatever the leftmost X-Forwarded-For says",
  // which a client writes itself: refused rather than guessed at.
  if (text.trim().toLowerCase() === 'true') {
    throw new ConfigError(
      'PROV_TRUST_PROXY',
      'no longer accepts true: list the addresses or CIDRs of the proxies in front (e.g. 127.0.0.1 for nginx on this host), or false',
    );
  }
  return networks('PROV_TRUST_PROXY', text);
}

/** Reads the bundle once now, so that a file that is not PEM certificates stops the boot instead of a phone's TLS handshake. */
function checkedCaFile(file: string): string {
  const where = path.resolve(file);
  try {
    readCaBundle(where);
  } catch (err) {
    if (err instanceof CaBundleError) throw new ConfigError('PROV_SIP_CA_FILE', `${err.message}: ${where}`);
    throw err;
  }
  return where;
}

function tlsConfig(cert: string | undefined, key: string | undefined, port: number): Config['tls'] {
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError('PROV_TLS_CERT', 'must be set together with PROV_TLS_KEY');
  if (!key) throw new ConfigError('PROV_TLS_KEY', 'must be set together with PROV_TLS_CERT');
  return { cert: path.resolve(cert), key: path.resolve(key), port };
}

/** Creates the data directory (0700) if needed and proves it is writable. */
export function prepareDataDir(dataDir: string): void {
  try {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const probe = path.join(dataDir, `.write-probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('PROV_DATA_DIR', `is not a writable directory: ${dataDir} (${code})`);
  }
}

/** `a.b.c.d/n` and IPv6 blocks, comma-separated; null when any entry is not one. */
export function cidrList(text: string): string[] | null {
  const out: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const m = /^([^/]+)\/(\d{1,3})$/.exec(entry);
    const family = m ? isIP(m[1]!) : 0;
    if (!m || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128)) return null;
    out.push(entry);
  }
  return out.length ? out : null;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
