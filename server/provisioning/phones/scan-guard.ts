// MAC-scan defence that tells a phone from a harvester. A MAC is not a
// secret: scanners walk a vendor's prefixes and ask for each MAC's file, and
// harvesters ask for known devices' files hoping for a claim. But in the
// cloud an office is one address, and its phones' ordinary chain (a bare
// request, then Digest with their own credentials) must never look like
// either. So, per client address (IPv6 per /64):
// - a strike about a subject (an unknown MAC, an unknown file name, an inbox
//   MAC) counts once per subject within the window: a phone asking for its
//   own unknown MAC every minute is one strike, a scanner's thousand MACs are
//   a thousand;
// - a bare request for a known device's credential-bearing file is only
//   pending: it counts if that device has not answered with valid credentials
//   from this address within a grace period, and valid credentials clear it;
// - wrong passwords and bad tokens count every time.
// Past the threshold the address cools down (429 on what it gets wrong, a
// challenge instead of a file). Memory is bounded by the number of tracked
// addresses and by a total of entries over all of them.
import type { Logger } from 'pino';
import { clientKey, inAny, type Network } from '../../domain/ip.ts';

export interface ScanGuardSettings {
  /** Strikes within the window that start a cool-down. */
  threshold: number;
  windowSeconds: number;
  cooldownSeconds: number;
  /** Addresses tracked at most; the least recently struck are forgotten first. */
  maxTracked?: number;
  /** Strikes and pending requests kept over all addresses at most. */
  maxEntries?: number;
  /** How long a bare request waits for its device's credentials before it counts. */
  graceSeconds?: number;
  /** PROV_SCAN_EXEMPT: addresses whose cool-downs are logged but never enforced. */
  exempt?: readonly Network[];
}

export type StrikeReason =
  | 'unknown-mac'
  | 'unknown-file'
  | 'inbox-mac'
  | 'bad-credentials'
  | 'bad-token'
  | 'no-credentials'
  | 'bad-password';

/** The fixed prefix of every refusal log line, for fail2ban (docs/fail2ban.md). */
export const REFUSAL_MESSAGE = 'prov-refused';
/** An exempt address that would have been refused: logged under another message, which the filter does not match. */
export const WAIVED_MESSAGE = 'prov-refusal-waived';

/** What one worker learnt about an address, replayed in every other worker (cluster/shared-scan-guard.ts). */
export type GuardFact =
  | { kind: 'strike'; ip: string; reason: StrikeReason; subject?: string }
  | { kind: 'unproven' | 'proven'; ip: string; mac: string };

export interface ScanGuard {
  /** True while the address is cooling down; logs the refusal the caller is about to send. */
  refuses(ip: string, surface: 'prov' | 'api'): boolean;
  /** True while the address is cooling down, for a caller that answers something other than a refusal. */
  cooling(ip: string): boolean;
  /** A strike; with a subject, repeated strikes about it within the window count once. */
  strike(ip: string, reason: StrikeReason, subject?: string): void;
  /** A bare request for this device's credential-bearing file; answers whether it was news (not already waiting or counted). */
  unproven(ip: string, mac: string): boolean;
  /**
   * This device proved itself from this address (valid credentials, or its
   * claim delivered): what its bare requests cost is cleared. Answers whether
   * there was anything to clear.
   */
  proven(ip: string, mac: string): boolean;
  /** Applies a fact another process learnt, without logging a block the other process logged. */
  replay(fact: GuardFact): void;
}

interface Client {
  /** Strike key → when; a Map keeps them in the order they came. */
  strikes: Map<string, number>;
  /** Device MAC → when its first unanswered bare request came. */
  pending: Map<string, number>;
  blockedUntil: number;
}

const DEFAULT_GRACE_SECONDS = 30;

export function createScanGuard(settings: ScanGuardSettings, clock: () => Date, log: Logger): ScanGuard {
  const clients = new Map<string, Client>();
  const maxTracked = settings.maxTracked ?? 50_000;
  const maxEntries = settings.maxEntries ?? 500_000;
  const graceMs = Math.min(settings.graceSeconds ?? DEFAULT_GRACE_SECONDS, settings.windowSeconds) * 1000;
  // Past this many unanswered bare requests from one address, a new one counts at once.
  const maxPending = Math.max(64, settings.threshold * 4);
  const exempt = settings.exempt ?? [];
  let entries = 0;
  let anonymous = 0;

  const sizeOf = (c: Client) => c.strikes.size + c.pending.size;

  /** The address's record, most recently used last; the oldest go when a bound is reached. */
  function touch(key: string, create: boolean): Client | undefined {
    let c = clients.get(key);
    if (c) {
      clients.delete(key);
      clients.set(key, c);
    } else if (create) {
      c = { strikes: new Map(), pending: new Map(), blockedUntil: 0 };
      clients.set(key, c);
    }
    while (clients.size > maxTracked || entries > maxEntries) {
      const [oldKey, old] = clients.entries().next().value!;
      if (old === c) break;
      entries -= sizeOf(old);
      clients.delete(oldKey);
    }
    return c;
  }

  function setEntry<K>(map: Map<K, number>, k: K, at: number): void {
    if (!map.delete(k)) entries++;
    map.set(k, at);
  }

  function dropEntry<K>(map: Map<K, number>, k: K): void {
    if (map.delete(k)) entries--;
  }

  /** Forgets strikes older than the window, counts pending requests past their grace, and starts a cool-down at the threshold. */
  function settle(ip: string, key: string, c: Client, now: number, reason: StrikeReason, quiet: boolean): void {
    for (const [mac, at] of c.pending) {
      if (now - at < graceMs) break;
      dropEntry(c.pending, mac);
      setEntry(c.strikes, `no-credentials:${mac}`, now);
    }
    const since = now - settings.windowSeconds * 1000;
    for (const [k, at] of c.strikes) {
      if (at > since) break;
      dropEntry(c.strikes, k);
    }
    if (c.strikes.size < settings.threshold || c.blockedUntil > now) return;
    const strikes = c.strikes.size;
    c.blockedUntil = now + settings.cooldownSeconds * 1000;
    entries -= c.strikes.size;
    c.strikes.clear();
    if (quiet) return;
    const waived = inAny(ip, exempt);
    log.warn({ ip, block: key, reason, strikes, cooldownSeconds: settings.cooldownSeconds, ...(waived ? { enforced: false } : {}) }, 'client blocked');
  }

  function cooling(ip: string): boolean {
    const key = clientKey(ip);
    const c = clients.get(key);
    if (!c) return false;
    const now = clock().getTime();
    if (c.pending.size > 0) settle(ip, key, c, now, 'no-credentials', false);
    return c.blockedUntil > now && !inAny(ip, exempt);
  }

  function strike(ip: string, reason: StrikeReason, subject: string | undefined, quiet: boolean): void {
    const key = clientKey(ip);
    const c = touch(key, true)!;
    const now = clock().getTime();
    // Nothing more to count while it cools down.
    if (c.blockedUntil > now) return;
    setEntry(c.strikes, subject === undefined ? `${reason}#${anonymous++}` : `${reason}:${subject}`, now);
    settle(ip, key, c, now, reason, quiet);
  }

  function unproven(ip: string, mac: string, quiet: boolean): boolean {
    const key = clientKey(ip);
    const c = touch(key, true)!;
    const now = clock().getTime();
    if (c.blockedUntil > now || c.pending.has(mac) || c.strikes.has(`no-credentials:${mac}`)) return false;
    if (c.pending.size >= maxPending) setEntry(c.strikes, `no-credentials:${mac}`, now);
    else setEntry(c.pending, mac, now);
    settle(ip, key, c, now, 'no-credentials', quiet);
    return true;
  }

  function proven(ip: string, mac: string): boolean {
    const c = clients.get(clientKey(ip));
    if (!c) return false;
    const before = entries;
    dropEntry(c.pending, mac);
    dropEntry(c.strikes, `no-credentials:${mac}`);
    return entries < before;
  }

  return {
    cooling,

    refuses(ip, surface) {
      if (cooling(ip)) {
        log.warn({ ip, reason: 'cooling-down', surface }, REFUSAL_MESSAGE);
        return true;
      }
      const c = clients.get(clientKey(ip));
      if (c && c.blockedUntil > clock().getTime()) log.info({ ip, reason: 'cooling-down', surface }, WAIVED_MESSAGE);
      return false;
    },

    strike: (ip, reason, subject) => strike(ip, reason, subject, false),
    unproven: (ip, mac) => unproven(ip, mac, false),
    proven,

    replay(fact) {
      if (fact.kind === 'strike') strike(fact.ip, fact.reason, fact.subject, true);
      else if (fact.kind === 'unproven') void unproven(fact.ip, fact.mac, true);
      else void proven(fact.ip, fact.mac);
    },
  };
}
