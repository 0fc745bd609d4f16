// MAC-scan defence. A MAC is not a secret: scanners walk a vendor's prefixes
// and ask for each MAC's file. Per client IP, requests for unknown MACs and
// failed authentications are counted in a sliding window; past the threshold
// the IP is refused (429) for a cool-down. Callers never ask the guard about
// a request that carries valid credentials, so a known phone is never slowed,
// however many of them share one office NAT address. IPv6 clients are
// counted per /64, the block one subscriber is given.
import type { Logger } from 'pino';
import { clientKey } from '../../domain/ip.ts';

export interface ScanGuardSettings {
  /** Strikes within the window that start a cool-down. */
  threshold: number;
  windowSeconds: number;
  cooldownSeconds: number;
  /** Addresses tracked at most; the least recently struck are forgotten first. */
  maxTracked?: number;
}

export type StrikeReason = 'unknown-mac' | 'unknown-file' | 'bad-credentials' | 'bad-token' | 'no-credentials' | 'bad-password';

/** The fixed prefix of every refusal log line, for fail2ban (docs/fail2ban.md). */
export const REFUSAL_MESSAGE = 'prov-refused';

export interface ScanGuard {
  /** True while the address is cooling down; logs the refusal the caller is about to send. */
  refuses(ip: string, surface: 'prov' | 'api'): boolean;
  /** True while the address is cooling down, for a caller that answers something other than a refusal. */
  cooling(ip: string): boolean;
  strike(ip: string, reason: StrikeReason): void;
}

export function createScanGuard(settings: ScanGuardSettings, clock: () => Date, log: Logger): ScanGuard {
  const strikes = new Map<string, number[]>();
  const blockedUntil = new Map<string, number>();
  const maxTracked = settings.maxTracked ?? 50_000;

  function cooling(ip: string): boolean {
    const key = clientKey(ip);
    const until = blockedUntil.get(key);
    if (until === undefined) return false;
    if (until > clock().getTime()) return true;
    blockedUntil.delete(key);
    return false;
  }

  return {
    cooling,

    refuses(ip, surface) {
      if (!cooling(ip)) return false;
      log.warn({ ip, reason: 'cooling-down', surface }, REFUSAL_MESSAGE);
      return true;
    },

    strike(ip, reason) {
      // An expired cool-down is cleared first, so this strike can start the next one.
      cooling(ip);
      const key = clientKey(ip);
      const now = clock().getTime();
      const since = now - settings.windowSeconds * 1000;
      const recent = (strikes.get(key) ?? []).filter((t) => t > since);
      recent.push(now);
      strikes.delete(key);
      strikes.set(key, recent);
      if (strikes.size > maxTracked) strikes.delete(strikes.keys().next().value!);
      if (recent.length >= settings.threshold && !blockedUntil.has(key)) {
        blockedUntil.set(key, now + settings.cooldownSeconds * 1000);
        if (blockedUntil.size > maxTracked) blockedUntil.delete(blockedUntil.keys().next().value!);
        strikes.delete(key);
        log.warn({ ip, block: key, reason, strikes: recent.length, cooldownSeconds: settings.cooldownSeconds }, 'client blocked');
      }
    },
  };
}
