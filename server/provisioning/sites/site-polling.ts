// How often each device polls when its site says so: a device's view tells
// when a phone push cannot reach will fetch by itself, and a site's polling
// interval is what its files carry, not the vendor's default.
import type { DeviceRecord } from '../../domain/device.ts';
import { deviceSite, siteOf } from '../../domain/site.ts';
import type { Store } from '../../storage/store.ts';

/** Minutes by MAC, for the devices whose site sets polling; the rest poll at their vendor's default. */
export function createSitePolling(store: Pick<Store, 'listSites' | 'getExtension'>) {
  return async (devices: readonly DeviceRecord[]): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    const minutes = new Map((await store.listSites()).flatMap((s) => (s.polling === null ? [] : [[s.name, s.polling] as const])));
    // The common case, no site with its own interval, costs one read.
    if (minutes.size === 0) return out;
    const extensionSite = new Map<string, string>();
    for (const d of devices) {
      const first = [...d.lines].sort((a, b) => a.line - b.line)[0];
      if (d.site === undefined && first && !extensionSite.has(first.extension)) {
        const ext = await store.getExtension(first.extension);
        extensionSite.set(first.extension, ext ? siteOf(ext) : '');
      }
      const every = minutes.get(deviceSite(d, (n) => extensionSite.get(n) ?? ''));
      if (every !== undefined) out.set(d.mac, every);
    }
    return out;
  };
}
