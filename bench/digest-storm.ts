// The Digest path storm: each phone fetch is two requests on one keep-alive
// connection, the bare request that gets a challenge and the answer to it
// (nc=1: each challenge answered once), as a phone with Digest credentials
// walks its files. Against nginx the same bytes sit behind a prefix that
// answers 401 with a challenge when no Authorization is sent. Runs in this
// process (autocannon): the generator computes every answer's hashes.
import { createHash, randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import { cpuSeconds, type StormOptions } from './storm.ts';

export interface DigestTarget {
  path: string;
  userAgent: string;
  user: string;
  password: string;
}

export interface DigestFigures {
  /** Completed fetches (challenge + served file) per second. */
  fetchesPerSecond: number;
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statusCodes: Record<string, number>;
  /** Anything but the expected 401 then 200, plus errors and timeouts. */
  unexpected: number;
  targetCores: number;
  loadGeneratorCores: number;
}

interface Ctx {
  target?: DigestTarget;
  challenge?: string;
}

const hash = (alg: string, text: string) => createHash(alg === 'MD5' ? 'md5' : 'sha256').update(text).digest('hex');

function answer(t: DigestTarget, uri: string, header: string): string {
  const nonce = /nonce="([^"]+)"/.exec(header)?.[1] ?? '';
  const alg = /algorithm=(SHA-256|MD5)/.exec(header)?.[1] ?? 'MD5';
  const cnonce = randomBytes(8).toString('hex');
  const ha1 = hash(alg, `${t.user}:provisioning:${t.password}`);
  const ha2 = hash(alg, `GET:${uri}`);
  const response = hash(alg, `${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`);
  return `Digest username="${t.user}", realm="provisioning", uri="${uri}", algorithm=${alg}, nonce="${nonce}", nc=00000001, cnonce="${cnonce}", qop=auth, response="${response}"`;
}

function headerOf(headers: Record<string, string | string[]>, name: string): string {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? v[0]! : v;
  return '';
}

function fire(url: string, targets: readonly DigestTarget[], prefix: string, connections: number, seconds: number) {
  let next = 0;
  return autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        setupRequest: (req, context) => {
          const c = context as Ctx;
          const t = targets[next++ % targets.length]!;
          c.target = t;
          return { ...req, method: 'GET', path: prefix + t.path, headers: { 'user-agent': t.userAgent } };
        },
        onResponse: (status, _body, context, headers) => {
          (context as Ctx).challenge = status === 401 ? headerOf(headers as Record<string, string | string[]>, 'www-authenticate') : '';
        },
      },
      {
        setupRequest: (req, context) => {
          const c = context as Ctx;
          const t = c.target!;
          const uri = prefix + t.path;
          return { ...req, method: 'GET', path: uri, headers: { 'user-agent': t.userAgent, authorization: answer(t, uri, c.challenge ?? '') } };
        },
      },
    ],
  });
}

export async function digestStorm(url: string, pid: number, targets: readonly DigestTarget[], prefix: string, opts: StormOptions): Promise<DigestFigures> {
  if (opts.warmupSeconds > 0) await fire(url, targets, prefix, opts.connections, opts.warmupSeconds);
  const targetCpu = cpuSeconds(pid);
  const ownCpu = process.cpuUsage();
  const r = await fire(url, targets, prefix, opts.connections, opts.seconds);
  const own = process.cpuUsage(ownCpu);
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = count ?? 0;
  const served = statusCodes['200'] ?? 0;
  const challenged = statusCodes['401'] ?? 0;
  const others = Object.entries(statusCodes).reduce((n, [c, k]) => (c === '200' || c === '401' ? n : n + k), 0);
  return {
    fetchesPerSecond: served / r.duration,
    requestsPerSecond: r.requests.total / r.duration,
    requests: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    statusCodes,
    // Every pair is one 401 and one 200; more 401s than 200s are refused answers.
    unexpected: others + Math.max(0, challenged - served - opts.connections) + r.errors + r.timeouts,
    targetCores: (cpuSeconds(pid) - targetCpu) / r.duration,
    loadGeneratorCores: (own.user + own.system) / 1e6 / r.duration,
  };
}
