// /prov: what desk phones fetch and upload. Answers are bare statuses with no
// detail, never cached by anything in between, and carry an ETag so a phone
// can skip a file it already has. An upload is authenticated and its
// declared size checked before its body is read.
import Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../domain/errors.ts';
import type { PhoneClient } from '../provisioning/phones/phone-access.ts';
import type { PhoneRequests, UploadAnswer } from '../provisioning/phones/phone-requests.ts';
import { clientSecure } from './client-address.ts';
import { attachment, INERT_FILE_HEADERS } from './inert-file.ts';

export const MAX_UPLOAD_BYTES = 256 * 1024;
export const FILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

function client(ctx: Context): PhoneClient & { file: string } {
  const file = ctx.params.file as string;
  if (!FILE_NAME.test(file)) throw new AppError(404, 'not-found', 'no such file');
  return {
    file,
    ip: ctx.ip,
    userAgent: ctx.get('user-agent'),
    method: ctx.method,
    uri: ctx.originalUrl,
    authorization: ctx.get('authorization') || undefined,
    secure: clientSecure(ctx),
  };
}

/**
 * Refusals carry no body; a 401 carries the challenges a phone answers. They
 * are answered here, not thrown: a challenge is half of every Digest fetch,
 * and building an exception (its stack) for it would cost more than the answer.
 */
/** Phone answers carry no detail but the challenges (401), the ETag and the file. */
function send(ctx: Context, answer: UploadAnswer): void {
  if (answer.status === 401) ctx.set('WWW-Authenticate', answer.challenges);
  if (answer.status === 413) throw new AppError(413, 'payload-too-large', 'upload refused');
  ctx.status = answer.status;
  if (answer.status === 401 || answer.status === 404 || answer.status === 422 || answer.status === 429) {
    ctx.body = '';
    return;
  }
  if (answer.status === 204) return;
  ctx.set('ETag', answer.etag);
  if (answer.status === 200) {
    ctx.type = answer.contentType;
    ctx.set('Content-Disposition', attachment(ctx.params.file as string));
    ctx.body = answer.body;
  }
}

/** Per route, not router.use(): a prefix middleware is skipped for /PROV/…, which the routes still match. */
async function noStore(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  ctx.set('Cache-Control', 'no-store');
  ctx.set(INERT_FILE_HEADERS);
  await next();
}

export function phoneRouter(phone: PhoneRequests): Router {
  const router = new Router({ prefix: '/prov' });

  router.get('/:file', noStore, async (ctx) => {
    const answer = await phone.fetch({
      ...client(ctx),
      ifNoneMatch: ctx.get('if-none-match') || undefined,
      head: ctx.method === 'HEAD',
    });
    send(ctx, answer);
  });

  router.put('/:file', noStore, async (ctx) => {
    const who = client(ctx);
    const read = async () => {
      try {
        return await getRawBody(ctx.req, { limit: MAX_UPLOAD_BYTES, length: ctx.request.length });
      } catch (err) {
        const tooLarge = (err as { type?: string }).type === 'entity.too.large';
        throw new AppError(tooLarge ? 413 : 400, tooLarge ? 'payload-too-large' : 'malformed-body', 'upload refused');
      }
    };
    const answer = await phone.upload(who, { length: ctx.request.length, maxBytes: MAX_UPLOAD_BYTES, read });
    // A body nobody will read is not waited for.
    if (answer.status !== 204) ctx.set('Connection', 'close');
    send(ctx, answer);
  });

  return router;
}
