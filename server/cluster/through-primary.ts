// The fleet's use cases (extensions and devices) run in the primary; a
// worker parses the request, asks, and shapes the answer. In a worker each
// read of fetch state waits for a barrier through the primary, and a secret
// change reads it three times: under a phone storm each of those round trips
// queues behind the worker's phones, while the primary, which holds the
// fetch records, reads them at once. One call replaces them all.
import { AppError } from '../domain/errors.ts';
import { RemoteError, type Link } from './link.ts';

export const USE_CASE_CALL = 'use-case';

/** The services a worker hands to the primary, by name. */
export const FORWARDED = ['extensions', 'devices', 'import'] as const;
export type Forwarded = (typeof FORWARDED)[number];

interface UseCaseCall {
  service: Forwarded;
  method: string;
  /** The arguments by position: the trip is JSON, which would turn an undefined one (a default left to apply) into null. */
  args: Record<number, unknown>;
  count: number;
}

/** A call to the primary; a refusal there comes back as the same typed error. */
export async function askPrimary<T>(link: Link, kind: string, arg: unknown): Promise<T> {
  try {
    return await link.call<T>(kind, arg);
  } catch (err) {
    if (err instanceof RemoteError && err.status && err.code) throw new AppError(err.status, err.code, err.message);
    throw err;
  }
}

/** `local` with every method asked of the primary instead (arguments and answers are plain data). */
export function throughPrimary<T extends object>(link: Link, service: Forwarded, local: T): T {
  const out: Record<string, unknown> = {};
  for (const [method, value] of Object.entries(local)) {
    out[method] = typeof value === 'function'
      ? (...args: unknown[]) =>
          askPrimary(link, USE_CASE_CALL, {
            service,
            method,
            args: Object.fromEntries(args.flatMap((v, i) => (v === undefined ? [] : [[i, v]]))),
            count: args.length,
          } satisfies UseCaseCall)
      : value;
  }
  return out as T;
}

/** The primary's side: runs what a worker asked of one of its services. */
export function serveUseCases(link: Link, services: () => Promise<Record<Forwarded, object>>): void {
  link.serve(USE_CASE_CALL, async ({ service, method, args, count }: UseCaseCall) => {
    const target = FORWARDED.includes(service) ? ((await services())[service] as Record<string, unknown>) : undefined;
    const fn = target && Object.hasOwn(target, method) ? target[method] : undefined;
    if (typeof fn !== 'function') throw new Error(`no use case ${service}.${method}`);
    return (fn as (...a: unknown[]) => unknown).apply(target, Array.from({ length: count }, (_, i) => args[i]));
  });
}
