// A device as every reader sees it (the API, the console's live stream):
// the stored record shaped for people, with its notify outcome as of now and
// whether push can reach it, or else when the phone polls by itself.
import { publicDevice, type DeviceRecord } from '../../domain/device.ts';
import { pushRefusal, type PushMode } from '../../domain/notify.ts';
import type { CatalogHolder } from '../../render/catalog.ts';
import { pollingSeconds } from '../../render/profiles.ts';

export function createDeviceView({ catalog, clock, pushMode }: { catalog: CatalogHolder; clock: () => Date; pushMode: PushMode }) {
  /** Whether push can reach the device, and when it polls on its own (from the settings its files are rendered with). */
  function pushView(d: DeviceRecord) {
    const profile = catalog.current().profiles.get(d.vendor);
    const every = profile ? pollingSeconds(profile, d.model) : null;
    const from = d.lastFetch?.at;
    return {
      mode: pushMode,
      refusal: pushRefusal(pushMode, d, Boolean(profile?.checkSync)),
      pollSeconds: every,
      nextPollBy: every !== null && from ? new Date(Date.parse(from) + every * 1000).toISOString() : null,
    };
  }
  return (d: DeviceRecord) => ({ ...publicDevice(d, clock()), push: pushView(d) });
}

export type DeviceView = ReturnType<ReturnType<typeof createDeviceView>>;
