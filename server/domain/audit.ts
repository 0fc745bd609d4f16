// Audit events: who did what to which object. Details carry versions and
// field names, never a secret value.
export interface AuditEvent {
  id?: number;
  at: string;
  actor: string;
  actorTokenId: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  action?: string;
  /** Actions that start with this ("secret." is every secret change and reveal). */
  actionPrefix?: string;
  target?: string;
  /** ISO times: at or after `since`, before `until`. */
  since?: string;
  until?: string;
  limit: number;
  beforeId?: number;
}
