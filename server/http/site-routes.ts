// The sites' routes: thin like the rest of the route table (admin-api.ts).
import type { Context } from 'koa';
import { NotFound } from '../domain/errors.ts';
import type { Sites } from '../provisioning/sites/sites.ts';
import { readJson } from './body.ts';
import type { Route } from './route-table.ts';
import * as s from './schemas.ts';

const name = (ctx: Context): string => {
  const n = ctx.params.name as string;
  if (!s.siteName.safeParse(n).success) throw new NotFound(`site ${n} does not exist`, 'site-not-found');
  return n;
};

export function siteRoutes(sites: Sites): Route[] {
  return [
    ['post', '/sites', 'admin', async (ctx, actor) => {
      ctx.status = 201;
      ctx.body = await sites.create(actor, await readJson(ctx, s.createSite));
    }, { summary: 'create a site: time zone, NTP, language, registrar and polling its phones share', body: s.createSite, status: 201 }],
    ['get', '/sites', 'viewer', async (ctx) => {
      ctx.body = await sites.list();
    }, { summary: 'every site, the default one included' }],
    ['get', '/sites/:name', 'viewer', async (ctx) => {
      ctx.body = await sites.get(name(ctx));
    }, { summary: 'one site, with how many extensions and devices stand in it, and how many devices are placed in it by name' }],
    ['patch', '/sites/:name', 'admin', async (ctx, actor) => {
      ctx.body = await sites.update(actor, name(ctx), await readJson(ctx, s.updateSite));
    }, { summary: "change a site; its phones' files are re-rendered in the same change", body: s.updateSite }],
    ['delete', '/sites/:name', 'admin', async (ctx, actor) => {
      await sites.remove(actor, name(ctx));
      ctx.status = 204;
    }, { summary: 'delete a site nothing is in (409 site-in-use otherwise)', status: 204 }],
  ];
}
