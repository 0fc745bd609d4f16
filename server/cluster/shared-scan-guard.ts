// The scan guard across workers. Every worker keeps a full replica of what
// the guard knows: its own facts (strikes, bare requests, proofs) count at
// once and are posted to the primary, which posts them on to every other
// worker, where they are replayed the same way (quietly: the worker that
// struck logs the block). So the threshold holds for an address whose
// requests land on different workers, and a phone's bare request on one
// worker is cleared by its credentials on another, one IPC hop later at
// most. The guard's answers stay synchronous; a phone request never waits on
// IPC for them.
import type { Logger } from 'pino';
import { createScanGuard, type GuardFact, type ScanGuard, type ScanGuardSettings } from '../provisioning/phones/scan-guard.ts';
import type { Link } from './link.ts';

export function createSharedScanGuard(settings: ScanGuardSettings, clock: () => Date, log: Logger, link: Link): ScanGuard {
  const local = createScanGuard(settings, clock, log);
  link.onPost((post) => {
    if (post.k === 'guard') local.replay(post.fact as GuardFact);
  });
  const share = (fact: GuardFact) => link.post({ k: 'guard', fact }, true);
  return {
    refuses: (ip, surface) => local.refuses(ip, surface),
    cooling: (ip) => local.cooling(ip),
    replay: (fact) => local.replay(fact),
    strike(ip, reason, subject) {
      local.strike(ip, reason, subject);
      share({ kind: 'strike', ip, reason, ...(subject === undefined ? {} : { subject }) });
    },
    unproven(ip, mac) {
      local.unproven(ip, mac);
      share({ kind: 'unproven', ip, mac });
    },
    proven(ip, mac) {
      local.proven(ip, mac);
      share({ kind: 'proven', ip, mac });
    },
  };
}
