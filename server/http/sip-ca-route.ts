// /prov/sip-ca-<fingerprint>.pem: the registrar's CA bundle, byte for byte as
// configured, for desk phones told to fetch it. It holds no secret, so it
// needs no credentials; any other name falls through to the phone routes.
import Router from '@koa/router';
import type { CaBundle } from '../render/ca-bundle.ts';
import { etagOf } from '../provisioning/phones/phone-requests.ts';

export function sipCaRouter(current: () => CaBundle | null): Router {
  const router = new Router({ prefix: '/prov' });
  router.get('/:file', async (ctx, next) => {
    const ca = current();
    if (!ca || ctx.params.file !== ca.fileName) return next();
    const etag = etagOf(ca.bytes);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('ETag', etag);
    if (ctx.get('if-none-match').split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/x-pem-file';
    ctx.body = ca.bytes;
  });
  return router;
}
