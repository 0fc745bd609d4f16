// The scan guard across workers. Every worker keeps a full replica of the
// strikes: its own are counted at once and posted to the primary, which
// posts them on to every other worker, where they are counted the same way
// (quietly: the worker that struck logs the block). So the threshold holds for
// an address whose requests land on different workers: the block starts on
// the strike that crosses it, in every worker, one IPC hop later at most.
// The guard's answers stay synchronous; a phone request never waits on IPC
// for them.
import type { Logger } from 'pino';
import { createScanGuard, type ScanGuard, type ScanGuardSettings, type StrikeReason } from '../provisioning/phones/scan-guard.ts';
import type { Link } from './link.ts';

export function createSharedScanGuard(settings: ScanGuardSettings, clock: () => Date, log: Logger, link: Link): ScanGuard {
  // Its own child logger, so a replayed strike can be counted without a second "client blocked" line.
  const guardLog = log.child({});
  const local = createScanGuard(settings, clock, guardLog);
  link.onPost((post) => {
    if (post.k !== 'strike') return;
    const level = guardLog.level;
    guardLog.level = 'silent';
    try {
      local.strike(post.ip, post.reason as StrikeReason);
    } finally {
      guardLog.level = level;
    }
  });
  return {
    refuses: (ip, surface) => local.refuses(ip, surface),
    cooling: (ip) => local.cooling(ip),
    strike(ip, reason) {
      local.strike(ip, reason);
      link.post({ k: 'strike', ip, reason }, true);
    },
  };
}
