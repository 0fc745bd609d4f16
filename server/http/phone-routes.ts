// /prov: what desk phones fetch and upload. Answers are bare statuses with no
// detail, never cached by anything in between, and carry an ETag so a phone
// can skip a file it already has.
import Router from '@koa/router';
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { AppError } from '../domain/errors.ts';
import type { PhoneRequests } from '../provisioning/phone-requests.ts';

export const MAX_UPLOAD_BYTES = 256 * 1024;
const FILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;

function fileName(ctx: Context): string {
  const file = ctx.params.file as string;
  if (!FILE_NAME.test(file)) throw new AppError(404, 'not-found', 'no such file');
  return file;
}

export function phoneRouter(phone: PhoneRequests): Router {
  const router = new Router({ prefix: '/prov' });

  router.get('/:file', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const result = await phone.fetch({
      file: fileName(ctx),
      userAgent: ctx.get('user-agent'),
      ip: ctx.ip,
      ifNoneMatch: ctx.get('if-none-match') || undefined,
      head: ctx.method === 'HEAD',
    });
    if (result.status === 404) throw new AppError(404, 'not-found', 'no such file');
    ctx.set('ETag', result.etag);
    ctx.status = result.status;
    if (result.status === 200) {
      ctx.type = result.contentType;
      ctx.body = result.body;
    }
  });

  router.put('/:file', async (ctx) => {
    const file = fileName(ctx);
    let body: Buffer;
    try {
      body = await getRawBody(ctx.req, { limit: MAX_UPLOAD_BYTES, length: ctx.request.length });
    } catch (err) {
      const tooLarge = (err as { type?: string }).type === 'entity.too.large';
      throw new AppError(tooLarge ? 413 : 400, tooLarge ? 'payload-too-large' : 'malformed-body', 'upload refused');
    }
    if (!(await phone.upload(file, body))) throw new AppError(404, 'not-found', 'no such file');
    ctx.status = 204;
  });

  return router;
}
