// The shape of a route in the admin API's one route table, shared by the
// router (admin-api.ts), the OpenAPI document (openapi.ts) and the routers
// that describe themselves to it (the console's).
import type { Context } from 'koa';
import type { z } from 'zod';
import type { Actor, Role } from '../domain/token.ts';

export type Handler = (ctx: Context, actor: Actor) => Promise<void>;
/**
 * What a route takes, for the OpenAPI document and for the router: `query`
 * validates the query string before the handler runs (its result is
 * ctx.state.query; a route without one takes no parameter), `body` is the
 * schema its handler reads the JSON body with.
 */
export interface RouteDoc {
  summary?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success status, when not 200. */
  status?: number;
  /** Answers a secret or a password: with the session cookie, only for our own pages (auth.ts). */
  reveals?: boolean;
}
export type Route = [
  method: 'get' | 'post' | 'put' | 'patch' | 'delete',
  path: string,
  role: Role,
  handler: Handler,
  doc?: RouteDoc,
];

/**
 * A route as the document needs it: a route of the table, or one served by
 * another router (the console's), described here by method, path and role
 * ('open': answered without anyone signed in).
 */
export type DocumentedRoute = Route | readonly [method: Route[0], path: string, role: Role | 'open', handler: null, doc: RouteDoc];
