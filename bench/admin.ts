// A small client for the admin API (Bearer token, JSON) and a bounded
// concurrency pool, so the set-up never has more than N requests in flight.
import http from 'node:http';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  ms: number;
  /** The Link header of a paged list: where its next page is. */
  next?: string;
}

export interface Admin {
  call<T = any>(method: string, path: string, body?: unknown): Promise<Answer<T>>;
  /** As call(), but throws unless the status is the expected one. */
  must<T = any>(expected: number, method: string, path: string, body?: unknown): Promise<Answer<T>>;
  /** How many changes must() asked again after a 409 concurrent-change. */
  conflicts(): number;
}

// node:http rather than fetch: fetch gives up on an answer whose headers take
// over five minutes, which a whole-fleet reload of 100,000 devices can on a
// small machine. The only limit is the socket's idle time.
const IDLE_MS = 15 * 60_000;
/** More than the connections the set-up keeps in flight: a fresh connection is not a reused one, so its reset is real. */
const MAX_STALE_RETRIES = 32;
const MAX_CONFLICT_RETRIES = 20;

export function adminClient(baseUrl: string, token: string): Admin {
  const agent = new http.Agent({ keepAlive: true });
  // A kept-alive connection the server closes as idle just when a request is
  // written on it fails with a reset before any answer; the server had not
  // read the request, so it is sent again (the retry Node's documentation
  // gives for req.reusedSocket). Again while it lands on another pooled
  // connection the server closed in the same moment: after a quiet phase
  // longer than the server's keep-alive, every pooled one is.
  function call<T>(method: string, path: string, body?: unknown, retries = 0): Promise<Answer<T>> {
    const started = performance.now();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        baseUrl + path,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          },
          timeout: IDLE_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const next = /<([^>]+)>;\s*rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
            resolve({ status: res.statusCode ?? 0, body: (text ? tryJson(text) : undefined) as T, ms: performance.now() - started, ...(next ? { next } : {}) });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${IDLE_MS / 60_000} minutes`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (retries < MAX_STALE_RETRIES && req.reusedSocket && err.code === 'ECONNRESET') resolve(call<T>(method, path, body, retries + 1));
        else reject(err);
      });
      req.end(payload);
    });
  }
  let conflicts = 0;
  return {
    call,
    conflicts: () => conflicts,
    async must(expected, method, path, body) {
      let answer = await call<any>(method, path, body);
      // Another change to the same records won (changes on one extension
      // racing on a store without one writer, MongoDB): asked again, as an
      // admin's script would.
      for (let again = 0; answer.status === 409 && answer.body?.error?.code === 'concurrent-change' && again < MAX_CONFLICT_RETRIES; again++) {
        conflicts++;
        answer = await call<any>(method, path, body);
      }
      if (answer.status !== expected) {
        throw new Error(`${method} ${path}: expected ${expected}, got ${answer.status} ${JSON.stringify(answer.body)}`);
      }
      return answer;
    },
  };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every item of a paged list, following its Link header page by page. */
export async function listAll<T>(admin: Admin, path: string): Promise<T[]> {
  const items: T[] = [];
  for (let page: string | undefined = path; page; ) {
    const answer: Answer<T[]> = await admin.must(200, 'GET', page);
    items.push(...answer.body);
    const next = answer.next ? new URL(answer.next, 'http://relative.invalid') : undefined;
    page = next && next.pathname + next.search;
  }
  return items;
}

/** Runs fn over items with at most `limit` calls in flight; the first failure stops the rest. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>) {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface PushBacklog {
  /** Devices whose NOTIFY waits for its turn under the rate limit, or for a retry. */
  queued: number;
  /** Devices whose NOTIFY is out, awaiting the phone's answer (retransmitting over UDP until timer F). */
  sent: number;
  /** Of those sent, how many went out since `since`. */
  sentSince: number;
}

/** The check-sync work not yet done, as the device list tells it. */
export async function pushBacklog(admin: Admin, since: string): Promise<PushBacklog> {
  const queued = await listAll(admin, '/api/devices?notify=queued&limit=1000');
  const sent = await listAll<{ notify: { at: string } }>(admin, '/api/devices?notify=sent&limit=1000');
  return { queued: queued.length, sent: sent.length, sentSince: sent.filter((d) => d.notify.at >= since).length };
}
