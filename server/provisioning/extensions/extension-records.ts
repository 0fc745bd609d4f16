// How an extension record is made and changed from what an admin sends,
// the same whichever way it arrives (one API call, or a row of an import):
// defaults that follow the transport, the site's registrar, explicit choices
// kept apart from defaults so a later change of transport moves only those.
import { defaultPort, resolveServer, type ExtensionMedia, type ExtensionRecord, type OutboundProxy, type SipServer, type Transport } from '../../domain/extension.ts';
import { isDeepStrictEqual } from 'node:util';
import { InvalidInput } from '../../domain/errors.ts';
import type { SrtpMode } from '../../domain/extension.ts';
import { siteOf, type SiteRecord } from '../../domain/site.ts';

export interface CreateExtension {
  number: string;
  displayName?: string;
  authUsername?: string;
  secret?: string;
  /** Left out: the site's registrar, followed when the site's changes. */
  server?: { host: string; port?: number; transport?: Transport };
  outboundProxy?: { host: string; port?: number } | null;
  label?: string | null;
  /** Left out: the default site. */
  site?: string;
  /** srtp null or left out: follow the transport (mandatory for tls, off otherwise). */
  media?: { srtp?: SrtpMode | null };
  realms?: string[];
}

export interface UpdateExtension {
  displayName?: string;
  authUsername?: string;
  /** null: follow the site's registrar again. */
  server?: { host?: string; port?: number; transport?: Transport } | null;
  outboundProxy?: { host: string; port?: number } | null;
  label?: string | null;
  /** Moves the extension (and the devices that follow it) to this site. */
  site?: string;
  /** srtp null: back to the transport's default; left out: unchanged. */
  media?: { srtp?: SrtpMode | null };
  realms?: string[];
}

/** A new extension's record, in `site` (already read), with its secret sealed by the caller. */
export function newExtension(input: CreateExtension, site: SiteRecord, secretSealed: string, at: string): ExtensionRecord {
  const server = input.server ? resolveServer(input.server) : siteServer(site);
  return {
    number: input.number,
    displayName: input.displayName ?? input.number,
    authUsername: input.authUsername ?? input.number,
    secretSealed,
    secretVersion: 1,
    server,
    outboundProxy: resolveProxy(input.outboundProxy, server.transport),
    label: input.label ?? null,
    media: mergeMedia({}, input.media),
    ...realmsOf(input.realms),
    site: site.name,
    serverFromSite: !input.server,
    createdAt: at,
    updatedAt: at,
    rev: 1,
  };
}

/** The extension after `patch`; `site` is the one it will be in (its own, or the one it moves to). */
export function patchedExtension(ext: ExtensionRecord, patch: UpdateExtension, site: SiteRecord, at: string): ExtensionRecord {
  const moved = site.name !== (ext.site ?? site.name);
  const follow = patch.server === null || (patch.server === undefined && ext.serverFromSite === true);
  const server =
    patch.server === null ? siteServer(site)
    : patch.server ? mergeServer(ext.server, patch.server)
    : follow && moved && site.server ? site.server
    : ext.server;
  return {
    ...ext,
    displayName: patch.displayName ?? ext.displayName,
    authUsername: patch.authUsername ?? ext.authUsername,
    server,
    outboundProxy:
      patch.outboundProxy === undefined
        ? followTransport(ext.outboundProxy, ext.server.transport, server.transport)
        : resolveProxy(patch.outboundProxy, server.transport),
    label: patch.label === undefined ? ext.label : patch.label,
    media: mergeMedia(ext.media ?? {}, patch.media),
    ...(patch.realms === undefined ? {} : realmsOf(patch.realms)),
    site: site.name,
    serverFromSite: follow && (patch.server === null || site.server !== null || !moved),
    updatedAt: at,
    rev: ext.rev + 1,
  };
}

/** The site's registrar, for an extension that names none. */
function siteServer(site: SiteRecord): SipServer {
  if (!site.server) throw new InvalidInput(`server: required, because site ${site.name} has no registrar to take`, 'missing-server');
  return site.server;
}


/** A port that was the old transport's default follows a change of transport. */
export function mergeServer(old: SipServer, patch: NonNullable<UpdateExtension['server']>): SipServer {
  const transport = patch.transport ?? old.transport;
  const keptDefault = old.port === defaultPort(old.transport);
  return {
    host: patch.host ?? old.host,
    transport,
    port: patch.port ?? (keptDefault ? defaultPort(transport) : old.port),
  };
}

/** The proxy speaks the registration's transport, so its default port is that transport's. */
export function resolveProxy(p: CreateExtension['outboundProxy'], transport: Transport): OutboundProxy | null {
  return p ? { host: p.host, port: p.port ?? defaultPort(transport) } : null;
}

/** Like the registrar's port: a proxy port that was the old transport's default follows a change of transport. */
export function followTransport(proxy: OutboundProxy | null, from: Transport, to: Transport): OutboundProxy | null {
  if (!proxy || from === to || proxy.port !== defaultPort(from)) return proxy;
  return { ...proxy, port: defaultPort(to) };
}

/** Only an explicit choice is kept, so that a choice left to the default keeps following the transport. */
export function mergeMedia(old: ExtensionMedia, patch: CreateExtension['media']): ExtensionMedia {
  if (patch?.srtp === undefined) return { ...old };
  if (patch.srtp === null) return {};
  return { ...old, srtp: patch.srtp };
}

/** Lower-cased and once each; none is the same as never set. */
export function realmsOf(realms: string[] | undefined): { realms: string[] } {
  return { realms: [...new Set((realms ?? []).map((r) => r.toLowerCase()))] };
}

export function changedFields(a: ExtensionRecord, b: ExtensionRecord): string[] {
  const keys = ['displayName', 'authUsername', 'server', 'outboundProxy', 'label', 'media', 'realms', 'site', 'serverFromSite'] as const;
  const value = (e: ExtensionRecord, k: (typeof keys)[number]) =>
    k === 'realms' ? (e.realms ?? []) : k === 'site' ? siteOf(e) : k === 'serverFromSite' ? e.serverFromSite === true : (e[k] ?? {});
  return keys.filter((k) => !isDeepStrictEqual(value(a, k), value(b, k)));
}
