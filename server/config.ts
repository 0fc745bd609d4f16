// The server's configuration: read once from the environment at start into a
// typed object. A bad value stops the boot with one line naming the variable;
// secret-bearing variables are never echoed back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
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
  scan: { threshold: number; windowSeconds: number; cooldownSeconds: number };
  tls: { cert: string; key: string; port: number } | null;
  /** Defaults for softphone links that do not say. */
  linkExpiryMinutes: number;
  linkMaxUses: number;
  /** Minutes between render sweeps (reconciles under the store lease); 0 turns the sweep off. */
  sweepMinutes: number;
  /** MongoDB instead of the embedded SQLite store, for several instances. */
  mongo: { uri: string; database: string | undefined } | null;
  /** Take the client address from X-Forwarded-For (behind nginx or HAProxy). */
  trustProxy: boolean;
  /** Processes serving HTTP (node:cluster workers); 1 serves from the one process. */
  workers: number;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

// A connection string can hold a password.
const SECRET_VARIABLES = new Set(['PROV_SECRET_KEY', 'PROV_ADMIN_TOKEN', 'MONGODB_URI']);

const PORT_RULE = 'must be a whole number from 0 to 65535';
const port = z.string().regex(/^\d{1,5}$/, PORT_RULE).transform(Number).pipe(z.number().max(65535, PORT_RULE));

function wholeNumber(min: number, max: number) {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.string().regex(/^\d{1,9}$/, rule).refine((v) => Number(v) >= min && Number(v) <= max, rule);
}

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
  PROV_TRUST_PROXY: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
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
    },
    tls,
    linkExpiryMinutes: v.PROV_LINK_EXPIRY_MINUTES,
    linkMaxUses: v.PROV_LINK_MAX_USES,
    sweepMinutes: v.PROV_SWEEP_MINUTES,
    mongo: v.MONGODB_URI ? { uri: v.MONGODB_URI, database: v.PROV_MONGODB_DB } : null,
    trustProxy: v.PROV_TRUST_PROXY === 'true',
    workers: v.PROV_WORKERS,
  };
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

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
