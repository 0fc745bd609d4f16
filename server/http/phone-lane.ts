// The phone fetch, served straight from Node's request event. A storm of
// phones after a power cut is almost all GET /prov/<file>; taking those past
// the Koa middleware chain and its routers halves what each costs. It answers
// exactly what the Koa phone route answers (the same use case, statuses,
// headers and log line; test/http/phone-lane.test.ts holds the two side by
// side), and hands everything else to Koa: other methods and paths, names
// the route would have to decode, and the CA bundle's name.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Network } from '../domain/ip.ts';
import type { PhoneRequests } from '../provisioning/phones/phone-requests.ts';
import type { CaBundle } from '../render/ca-bundle.ts';
import { forwardedSecure, requestAddress } from './client-address.ts';
import { errorHeaders, INTERNAL, toAppError } from './errors.ts';
import { attachment, INERT_FILE_HEADERS } from './inert-file.ts';
import { FILE_NAME } from './phone-routes.ts';
import { logAnswered } from './request-log.ts';

export interface PhoneLaneDeps {
  phone: PhoneRequests;
  sipCa: () => CaBundle | null;
  log: Logger;
  trustedProxies: readonly Network[];
}

const PREFIX = '/prov/';

export function phoneLane({ phone, sipCa, log, trustedProxies }: PhoneLaneDeps, others: RequestListener): RequestListener {
  async function serve(req: IncomingMessage, res: ServerResponse, path: string, file: string): Promise<void> {
    const started = process.hrtime.bigint();
    const ip = requestAddress(req, trustedProxies);
    const head = req.method === 'HEAD';
    let status = 500;
    let error: unknown;
    try {
      const h = req.headers;
      const answer = await phone.fetch({
        file,
        ip,
        userAgent: h['user-agent'] ?? '',
        method: req.method!,
        uri: req.url!,
        authorization: h.authorization || undefined,
        secure: forwardedSecure(req, trustedProxies),
        ifNoneMatch: h['if-none-match'] || undefined,
        head,
      });
      status = answer.status;
      if (answer.status === 200) {
        res.writeHead(200, {
          'Cache-Control': 'no-store',
          ETag: answer.etag,
          'Content-Type': answer.contentType,
          'Content-Length': answer.body.length,
          ...INERT_FILE_HEADERS,
          'Content-Disposition': attachment(file),
        });
        res.end(head ? undefined : answer.body);
      } else if (answer.status === 304) {
        res.writeHead(304, { 'Cache-Control': 'no-store', ETag: answer.etag, ...INERT_FILE_HEADERS });
        res.end();
      } else {
        const headers: Record<string, string | string[] | number> = { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0, ...INERT_FILE_HEADERS };
        if (answer.status === 401) headers['WWW-Authenticate'] = answer.challenges;
        res.writeHead(answer.status, headers);
        res.end();
      }
    } catch (err) {
      const appError = toAppError(err);
      if (appError === INTERNAL) error = err;
      status = appError.status;
      if (!res.headersSent) {
        res.writeHead(status, { 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0, ...INERT_FILE_HEADERS, ...errorHeaders(appError) });
        res.end();
      } else res.destroy();
    }
    logAnswered(log, { method: req.method!, path, status, started, ip, error });
  }

  return (req, res) => {
    const url = req.url ?? '';
    if ((req.method === 'GET' || req.method === 'HEAD') && url.startsWith(PREFIX)) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const file = path.slice(PREFIX.length);
      if (FILE_NAME.test(file) && file !== sipCa()?.fileName) {
        void serve(req, res, path, file);
        return;
      }
    }
    others(req, res);
  };
}
