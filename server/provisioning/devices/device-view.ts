// A device as every reader sees it (the API, the console's live stream):
// the stored record shaped for people, with its notify outcome as of now and
// whether push can reach it, or else when the phone polls by itself.
import { deviceStatus, publicDevice, type DeviceRecord } from '../../domain/device.ts';
import { OLD_SECRET_FLAG_MS, UNKNOWN_REGISTRATION, type LineRegistration } from '../../domain/registration.ts';
import { pushRefusal, type PushMode } from '../../domain/notify.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { pollingSeconds } from '../../render/profiles.ts';

export function createDeviceView({ catalog, clock, pushMode }: { catalog: CatalogHolder; clock: () => Date; pushMode: PushMode }) {
  /** Whether push can reach the device, and when it polls on its own (from the settings its files are rendered with). */
  function pushView(d: DeviceRecord, siteMinutes: number | null) {
    const profile = catalog.current().profiles.get(d.vendor);
    const every = profile ? pollingSeconds(profile, d.model, siteMinutes) : null;
    const from = d.lastFetch?.at;
    return {
      mode: pushMode,
      refusal: pushRefusal(pushMode, d, Boolean(profile?.checkSync)),
      pollSeconds: every,
      nextPollBy: every !== null && from ? new Date(Date.parse(from) + every * 1000).toISOString() : null,
    };
  }
  /**
   * `registrations`: each line's registration as the registrar reported it
   * (registrations/), by extension; `unknown` without one. `siteMinutes`: the
   * polling interval its site sets (sites/site-polling.ts), if it does.
   */
  return (d: DeviceRecord, registrations?: ReadonlyMap<string, LineRegistration>, siteMinutes?: number) => {
    const view = publicDevice(d, clock());
    return {
      ...view,
      lines: view.lines.map((l) => ({ ...l, registration: registrations?.get(l.extension) ?? UNKNOWN_REGISTRATION })),
      push: pushView(d, siteMinutes ?? null),
    };
  };
}

/**
 * A device the admin should look at: its file is current (synced) but a line
 * fails to register, or still registers with the old secret well after the
 * phone fetched the new one (a registrar or handset holding on to it).
 */
export function registrationFlagged(d: DeviceRecord, registrations: ReadonlyMap<string, LineRegistration>, now: Date): boolean {
  if (deviceStatus(d) !== 'synced') return false;
  const fetchedAt = d.lastFetch ? Date.parse(d.lastFetch.at) : Number.POSITIVE_INFINITY;
  return [...registrations.values()].some(
    (r) => r.state === 'failed' || (r.state === 'old-secret' && now.getTime() - fetchedAt >= OLD_SECRET_FLAG_MS),
  );
}

export type DeviceView = ReturnType<ReturnType<typeof createDeviceView>>;
