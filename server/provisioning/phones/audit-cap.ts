// A cap on audit events that phones cause. The audit log keeps what admins do
// and what phones do that matters to security (a claim delivered, an upload),
// but a phone, or whoever holds its credentials, can repeat a request as often
// as it likes: past `max` events per key (an address, a device) within the
// window, the request still gets its answer and is still logged, but writes
// no further audit row. Bounded: the least recently used keys are forgotten.
import { createWeighedMap } from '../../domain/weighed-map.ts';

export interface AuditCap {
  /** Whether one more event for `key` may be audited now; counts it when it may. */
  allow(key: string): boolean;
}

export function createAuditCap({ max, windowMs, clock, maxKeys = 20_000 }: { max: number; windowMs: number; clock: () => Date; maxKeys?: number }): AuditCap {
  const seen = createWeighedMap<number[]>(maxKeys, Infinity, () => 0);
  return {
    allow(key) {
      const now = clock().getTime();
      const recent = (seen.get(key) ?? []).filter((t) => now - t < windowMs);
      if (recent.length >= max) {
        seen.set(key, recent);
        return false;
      }
      recent.push(now);
      seen.set(key, recent);
      return true;
    },
  };
}
