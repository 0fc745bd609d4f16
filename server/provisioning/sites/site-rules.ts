// What a write that names a site is checked against: the site exists (the
// default one always does), and the site's guard is taken, so a deletion of
// the site committed meanwhile refuses the batch instead of leaving records
// in a site that is gone. And which devices stand in a site, for whoever
// re-renders or counts them.
import type { DeviceRecord } from '../../domain/device.ts';
import { InvalidInput } from '../../domain/errors.ts';
import { DEFAULT_SITE, deviceSite, siteGuard, UNSET_DEFAULT_SITE, type SiteRecord } from '../../domain/site.ts';
import { readGuard, type Store, type WriteOp } from '../../storage/store.ts';

/** The site as stored, or the default one before an admin set it; null when there is none by that name. */
export async function findSite(store: Pick<Store, 'getSite'>, name: string): Promise<SiteRecord | null> {
  return (await store.getSite(name)) ?? (name === DEFAULT_SITE ? UNSET_DEFAULT_SITE : null);
}

/**
 * The site a write puts a record in, and the guard that holds it there. The
 * default site cannot be deleted, so it takes no guard: writes into it never
 * wait on each other.
 */
export async function useSite(store: Pick<Store, 'getSite' | 'getMeta'>, name: string): Promise<{ site: SiteRecord; guards: WriteOp[] }> {
  const guards: WriteOp[] = name === DEFAULT_SITE ? [] : [{ op: 'guard', name: siteGuard(name), expect: await readGuard(store, siteGuard(name)) }];
  const site = await findSite(store, name);
  if (!site) throw new InvalidInput(`site ${name} does not exist`, 'unknown-site');
  return { site, guards };
}

/**
 * The devices whose files carry the site: placed in it, or not placed anywhere
 * and following a first line's extension that is in it.
 */
export async function devicesOfSite(store: Pick<Store, 'listDevices' | 'listExtensions'>, name: string): Promise<DeviceRecord[]> {
  const devices = await store.listDevices({ site: name });
  for (const ext of await store.listExtensions({ site: name })) {
    for (const d of await store.listDevices({ extension: ext.number })) {
      if (d.site === undefined && deviceSite(d, (n) => (n === ext.number ? name : '')) === name) devices.push(d);
    }
  }
  return devices;
}
