// The scan guard across workers. Every worker keeps a full replica of what
// the guard knows: its own facts (strikes, bare requests, proofs) count at
// once and are posted to the primary, which posts them on to every other
// worker, where they are replayed the same way (quietly: the worker that
// struck logs the block). So the threshold holds for an address whose
// requests land on different workers, and a phone's bare request on one
// worker is cleared by its credentials on another, one IPC hop later at
// most. The guard's answers stay synchronous; a phone request never waits on
// IPC for them.
//
// A bare request is posted only when it is news here, and a second later,
// unless its proof came to this worker meanwhile; a proof only when it clears
// something the others were told of. Posting every proof cost two IPC messages per served file,
// relayed by the primary, which under a storm took a third of the primary
// and crowded the workers. A bare request whose fact
// reaches this worker just after it served that device's credentials to that
// address (the two landed on different workers) is answered with the proof
// then, so it is cleared all the same.
import type { Logger } from 'pino';
import { createWeighedMap } from '../domain/weighed-map.ts';
import { createScanGuard, type GuardFact, type ScanGuard, type ScanGuardSettings } from '../provisioning/phones/scan-guard.ts';
import type { Link } from './link.ts';

/**
 * How long a bare request waits here before the other workers are told of
 * it. A phone's answer to its challenge mostly comes back to the same worker
 * (the same connection), and then nobody else ever needs to know. Bare
 * requests count only after a grace of many seconds, so telling the others a
 * second late weakens nothing.
 */
const TELL_AFTER_MS = 1_000;
/** How long after a proof here a bare request another worker saw is taken as the same phone's, still on its way. */
const JUST_PROVEN_MS = 5_000;
/** Proofs remembered for that, the oldest forgotten first. */
const MAX_REMEMBERED = 10_000;

/**
 * Whether a fact is posted (and relayed by the primary) at once. A strike
 * is, so that an address crossing the threshold is refused on every worker
 * from its next request. Bare requests and proofs, one or two per phone
 * fetch, go with the turn's other posts in one message.
 */
export const atOnce = (fact: GuardFact): boolean => fact.kind === 'strike';

export function createSharedScanGuard(settings: ScanGuardSettings, clock: () => Date, log: Logger, link: Link, tellAfterMs = TELL_AFTER_MS): ScanGuard {
  const local = createScanGuard(settings, clock, log);
  /** `${ip} ${mac}` → when this worker last saw that device prove itself from that address. */
  const proofs = createWeighedMap<number>(MAX_REMEMBERED, Infinity, () => 0);
  const share = (fact: GuardFact) => link.post({ k: 'guard', fact }, atOnce(fact));
  /** Bare requests seen here that the others have not been told of yet, by `${ip} ${mac}`. */
  const untold = new Map<string, { ip: string; mac: string }>();
  let telling: NodeJS.Timeout | null = null;
  const tell = () => {
    telling = null;
    for (const { ip, mac } of untold.values()) share({ kind: 'unproven', ip, mac });
    untold.clear();
  };
  link.onPost((post) => {
    if (post.k !== 'guard') return;
    const fact = post.fact as GuardFact;
    if (fact.kind === 'unproven') {
      const at = proofs.get(`${fact.ip} ${fact.mac}`);
      if (at !== undefined && clock().getTime() - at < JUST_PROVEN_MS) {
        share({ kind: 'proven', ip: fact.ip, mac: fact.mac });
        return;
      }
    }
    local.replay(fact);
  });
  return {
    refuses: (ip, surface) => local.refuses(ip, surface),
    cooling: (ip) => local.cooling(ip),
    replay: (fact) => local.replay(fact),
    strike(ip, reason, subject) {
      local.strike(ip, reason, subject);
      share({ kind: 'strike', ip, reason, ...(subject === undefined ? {} : { subject }) });
    },
    unproven(ip, mac) {
      // Already waiting here, so already told or about to be.
      const news = local.unproven(ip, mac);
      if (news) {
        untold.set(`${ip} ${mac}`, { ip, mac });
        telling ??= setTimeout(tell, tellAfterMs).unref();
      }
      return news;
    },
    proven(ip, mac) {
      const key = `${ip} ${mac}`;
      proofs.set(key, clock().getTime());
      const cleared = local.proven(ip, mac);
      // What the others were never told of needs no proof sent after it.
      if (cleared && !untold.delete(key)) share({ kind: 'proven', ip, mac });
      return cleared;
    },
  };
}
