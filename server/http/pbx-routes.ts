// The registrar's surface (/pbx/v1): pbx tokens only, optionally only from
// PROV_PBX_NETWORKS, each for its own realms. The feed answers credentials;
// registration reports come back the other way. Answers are never cached
// anywhere on the way.
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { Forbidden, MalformedRequest, NotFound } from '../domain/errors.ts';
import type { Actor } from '../domain/token.ts';
import { z } from 'zod';
import { MAX_STORED_USER_AGENT } from '../domain/device.ts';
import { AUTH_USERNAME } from '../domain/extension.ts';
import { REALM, type CredentialFeed } from '../pbx/credential-feed.ts';
import type { Registrations } from '../provisioning/registrations/registrations.ts';
import { readJsonOrForm } from './body.ts';

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

/** What a registrar reports of one REGISTER it answered (docs/pbx.md). */
const report = z.strictObject({
  authUsername: z.string().regex(AUTH_USERNAME, 'must be a SIP auth user'),
  realm: z.string().regex(REALM, 'must be a Digest realm'),
  result: z.enum(['ok', 'failed']),
  secretVersion: z.number().int().min(1).optional(),
  contact: z.string().min(1).max(512).regex(/^[\x21-\x7e]+$/, 'must be a SIP URI without spaces or control characters'),
  expires: z.number().int().min(0).max(31_536_000),
  userAgent: z.string().max(512).regex(/^[^\p{Cc}]*$/u, 'may not hold control characters').transform((ua) => ua.slice(0, MAX_STORED_USER_AGENT)).optional(),
  sourceIp: z.string().refine((ip) => isIP(ip) !== 0, 'must be an IP address').optional(),
  callId: z.string().min(1).max(256).regex(/^[\x21-\x7e]+$/, 'must be printable').optional(),
});

export function pbxRouter(feed: CredentialFeed, registrations: Registrations): Router {
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
  router.post('/registrations', async (ctx) => {
    const input = await readJsonOrForm(ctx, report, ['secretVersion', 'expires']);
    const actor = ctx.state.actor as Actor;
    await registrations.report(input, { token: actor.tokenId ?? actor.name, realms: actor.realms ?? [] });
    ctx.status = 204;
  });
  return router;
}
