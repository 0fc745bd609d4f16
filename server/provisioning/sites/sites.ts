// Room: provisioning/sites/ owns sites: where phones stand, and what every
// phone there shares (clock, NTP, language, registrar, polling). It may call
// domain/, render/ (time zones), storage/, provisioning/change/ and audit/.
//
// Site use cases. A change to a site is one change: the extensions that
// follow its registrar take the new one, and the re-render hook renders every
// device whose files carry the site, in the same batch.
import { isDeepStrictEqual } from 'node:util';
import { Conflict, InvalidInput, NotFound } from '../../domain/errors.ts';
import { resolveServer, type ExtensionRecord, type SipServer, type Transport } from '../../domain/extension.ts';
import { DEFAULT_SITE, publicSite, siteGuard, type SiteLanguage, type SiteRecord } from '../../domain/site.ts';
import type { Actor } from '../../domain/token.ts';
import { isKnownTimeZone } from '../../render/time-zone.ts';
import { readGuard, type Store, type WriteOp } from '../../storage/store.ts';
import { auditOp } from '../audit/audit-op.ts';
import type { RunChange } from '../change/change-runner.ts';
import { devicesOfSite, findSite } from './site-rules.ts';

export interface SiteInput {
  timeZone?: string;
  ntpServer?: string | null;
  language?: SiteLanguage | null;
  server?: { host: string; port?: number; transport?: Transport } | null;
  polling?: number | null;
}

export interface CreateSite extends SiteInput {
  name: string;
  timeZone: string;
}

export interface SitesDeps {
  store: Store;
  clock: () => Date;
  runChange: RunChange;
}

const target = (name: string) => `site:${name}`;
const FIELDS = ['timeZone', 'ntpServer', 'language', 'server', 'polling'] as const;

export type Sites = ReturnType<typeof createSites>;

export function createSites({ store, clock, runChange }: SitesDeps) {
  async function load(name: string): Promise<SiteRecord> {
    const site = await findSite(store, name);
    if (!site) throw new NotFound(`site ${name} does not exist`, 'site-not-found');
    return site;
  }

  /** What is in the site: extensions in it, devices the admin placed in it. */
  async function usage(name: string) {
    const [extensions, devices] = [await store.listExtensions({ site: name }), await store.listDevices({ site: name })];
    return { extensions: extensions.map((e) => e.number), devices: devices.map((d) => d.mac) };
  }

  /** The extensions that follow the site's registrar, moved to its new one. */
  async function followers(name: string, server: SipServer | null, at: string): Promise<WriteOp[]> {
    if (!server) return [];
    const ops: WriteOp[] = [];
    for (const ext of await store.listExtensions({ site: name })) {
      if (!ext.serverFromSite || sameServer(ext.server, server)) continue;
      const record: ExtensionRecord = { ...ext, server, updatedAt: at, rev: ext.rev + 1 };
      ops.push({ op: 'update-extension', record, expectRev: ext.rev });
    }
    return ops;
  }

  return {
    async list() {
      const stored = await store.listSites();
      const all = stored.some((s) => s.name === DEFAULT_SITE) ? stored : [await load(DEFAULT_SITE), ...stored];
      return all.sort((a, b) => a.name.localeCompare(b.name)).map(publicSite);
    },

    async get(name: string) {
      const site = await load(name);
      const [extensions, standing] = [await store.listExtensions({ site: name }), await devicesOfSite(store, name)];
      // Every phone whose files carry the site, and apart the ones placed in it, which (with the extensions) keep it from deletion.
      const placedDevices = standing.filter((d) => d.site === name).length;
      return { ...publicSite(site), extensions: extensions.length, devices: standing.length, placedDevices };
    },

    async create(actor: Actor, input: CreateSite) {
      checkTimeZone(input.timeZone);
      return runChange(async () => {
        if (await findSite(store, input.name)) throw new Conflict('site-exists', `site ${input.name} already exists`);
        const at = clock().toISOString();
        const record: SiteRecord = {
          name: input.name,
          timeZone: input.timeZone,
          ntpServer: input.ntpServer ?? null,
          language: input.language ?? null,
          server: input.server ? resolveServer(input.server) : null,
          polling: input.polling ?? null,
          createdAt: at,
          updatedAt: at,
          rev: 1,
        };
        return {
          ops: [{ op: 'insert-site', record }, auditOp(actor, at, 'site.created', target(record.name), { timeZone: record.timeZone })],
          result: publicSite(record),
        };
      });
    },

    async update(actor: Actor, name: string, patch: SiteInput) {
      if (patch.timeZone !== undefined) checkTimeZone(patch.timeZone);
      return runChange(async () => {
        const site = await load(name);
        const at = clock().toISOString();
        const next: SiteRecord = {
          ...site,
          timeZone: patch.timeZone ?? site.timeZone,
          ntpServer: patch.ntpServer === undefined ? site.ntpServer : patch.ntpServer,
          language: patch.language === undefined ? site.language : patch.language,
          server: patch.server === undefined ? site.server : patch.server && resolveServer(patch.server),
          polling: patch.polling === undefined ? site.polling : patch.polling,
          updatedAt: at,
          rev: site.rev + 1,
        };
        const changed = FIELDS.filter((k) => !isDeepStrictEqual(site[k], next[k]));
        if (changed.length === 0) return { ops: [], result: publicSite(site) };
        // The default site is stored the first time an admin changes it.
        const write: WriteOp = site.rev === 0 ? { op: 'insert-site', record: next } : { op: 'update-site', record: next, expectRev: site.rev };
        return {
          ops: [write, ...(await followers(name, next.server, at)), auditOp(actor, at, 'site.updated', target(name), { fields: changed })],
          result: publicSite(next),
        };
      });
    },

    async remove(actor: Actor, name: string) {
      if (name === DEFAULT_SITE) throw new Conflict('site-is-default', 'the default site holds everything without a site and cannot be deleted');
      await runChange(async () => {
        const guard = await readGuard(store, siteGuard(name));
        const site = await load(name);
        const used = await usage(name);
        const count = used.extensions.length + used.devices.length;
        if (count > 0) {
          const names = [...used.extensions.map((n) => `extension ${n}`), ...used.devices.map((m) => `device ${m}`)];
          throw new Conflict('site-in-use', `site ${name} holds ${count} record(s): ${names.slice(0, 20).join(', ')}${count > 20 ? ', …' : ''}`);
        }
        const at = clock().toISOString();
        return {
          ops: [
            { op: 'guard', name: siteGuard(name), expect: guard },
            { op: 'delete-site', name, expectRev: site.rev },
            auditOp(actor, at, 'site.deleted', target(name)),
          ],
          result: undefined,
        };
      });
    },
  };
}

function checkTimeZone(name: string): void {
  if (!isKnownTimeZone(name)) throw new InvalidInput('timeZone: must be an IANA time zone such as Europe/Berlin or America/New_York', 'invalid-time-zone');
}

const sameServer = (a: SipServer, b: SipServer) => a.host === b.host && a.port === b.port && a.transport === b.transport;
