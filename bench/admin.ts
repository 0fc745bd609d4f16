// A small client for the admin API (Bearer token, JSON) and a bounded
// concurrency pool, so the set-up never has more than N requests in flight.

export interface Answer<T = unknown> {
  status: number;
  body: T;
  ms: number;
}

export interface Admin {
  call<T = any>(method: string, path: string, body?: unknown): Promise<Answer<T>>;
  /** As call(), but throws unless the status is the expected one. */
  must<T = any>(expected: number, method: string, path: string, body?: unknown): Promise<Answer<T>>;
}

export function adminClient(baseUrl: string, token: string): Admin {
  async function call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
    const started = performance.now();
    const res = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A whole-fleet reload at 100,000 devices takes minutes on a small machine.
      signal: AbortSignal.timeout(600_000),
    });
    const text = await res.text();
    const ms = performance.now() - started;
    return { status: res.status, body: (text ? tryJson(text) : undefined) as T, ms };
  }
  return {
    call,
    async must(expected, method, path, body) {
      const answer = await call<any>(method, path, body);
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
