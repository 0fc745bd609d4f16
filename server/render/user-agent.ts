// Reading a phone's User-Agent with its vendor profile's pattern: which model,
// which firmware, and the MAC where the vendor sends it.
import { tryParseMac, type Mac } from '../domain/mac.ts';
import type { VendorProfile } from './profiles.ts';

export interface PhoneAgent {
  model: string;
  firmware: string;
  mac: Mac | null;
}

const patterns = new WeakMap<VendorProfile, RegExp | null>();

export function parseUserAgent(profile: VendorProfile, userAgent: string): PhoneAgent | null {
  let re = patterns.get(profile);
  if (re === undefined) {
    re = profile.userAgent ? new RegExp(profile.userAgent) : null;
    patterns.set(profile, re);
  }
  const m = re?.exec(userAgent);
  if (!m?.groups?.model) return null;
  return {
    model: m.groups.model,
    firmware: m.groups.firmware ?? '',
    mac: m.groups.mac ? tryParseMac(m.groups.mac) : null,
  };
}
