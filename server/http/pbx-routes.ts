// The registrar's surface (/pbx/v1): pbx tokens only, optionally only from
// PROV_PBX_NETWORKS. Answers are never cached anywhere on the way.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { Forbidden, MalformedRequest, NotFound } from '../domain/errors.ts';
import type { Actor } from '../domain/token.ts';
import { REALM, type CredentialFeed } from '../pbx/credential-feed.ts';

export function pbxNetworkGuard(networks: string[] | null) {
  if (!networks) return async (_ctx: Context, next: Next) => next();
  const allowed = new BlockList();
  for (const cidr of networks) {
    const [address, prefix] = cidr.split('/');
    allowed.addSubnet(address!, Number(prefix), isIPv4(address!) ? 'ipv4' : 'ipv6');
  }
  return async function onlyFromPbx(ctx: Context, next: Next) {
    const ip = ctx.ip.startsWith('::ffff:') && isIPv4(ctx.ip.slice(7)) ? ctx.ip.slice(7) : ctx.ip;
    const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
    if (!family || !allowed.check(ip, family)) throw new Forbidden('this address may not use the registrar feed');
    await next();
  };
}

export function pbxRouter(feed: CredentialFeed): Router {
  const router = new Router({ prefix: '/pbx/v1' });
  router.get('/credentials/:authUsername', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const realm = ctx.query.realm;
    if (typeof realm !== 'string' || !REALM.test(realm)) {
      throw new MalformedRequest('realm must be given once, as the Digest realm', 'invalid-realm');
    }
    const actor = ctx.state.actor as Actor;
    const found = await feed.lookup(ctx.params.authUsername as string, realm, { ip: ctx.ip, token: actor.name, realms: actor.realms ?? [] });
    if (!found) throw new NotFound('no such auth user');
    ctx.body = found;
  });
  return router;
}
