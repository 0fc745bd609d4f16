// One webhook delivery attempt over node:http(s), connected only to an
// address the destination rules allow (destination.ts). The outcome is the
// receiver's HTTP status, or null when no receiver answered; why it did not
// (refused, timed out, forbidden, no such host) is the operator's to read in
// the server log, never the API's to show: told apart, those answers would
// map the inside of the network for whoever can create a webhook.
import http from 'node:http';
import https from 'node:https';
import { parseAddress, type Network } from '../domain/ip.ts';
import { allowedAddress, checkedLookup } from './destination.ts';

export interface Attempt {
  status: number | null;
  /** For the log only. */
  problem: string | null;
}

export function postOnce(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; signal: AbortSignal; allow: readonly Network[] },
): Promise<Attempt> {
  const url = new URL(target);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address never reaches a resolver: judged here.
  if (parseAddress(host) && !allowedAddress(host, options.allow)) return Promise.resolve({ status: null, problem: 'forbidden destination' });
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      lookup: checkedLookup(options.allow),
      signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal]),
      agent: false,
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? null, problem: null });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      resolve({ status: null, problem: err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timeout' : (err.code ?? err.message) });
    });
    req.end(body);
  });
}
