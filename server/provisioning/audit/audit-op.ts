// Audit events as write operations, so an event commits with its change or
// not at all. Callers pass versions and field names in details, never values.
import type { Actor } from '../../domain/token.ts';
import type { WriteOp } from '../../storage/store.ts';

export function auditOp(
  actor: Actor,
  at: string,
  action: string,
  target: string,
  details: Record<string, unknown> = {},
): WriteOp {
  return { op: 'audit', event: { at, actor: actor.name, actorTokenId: actor.tokenId, action, target, details } };
}
