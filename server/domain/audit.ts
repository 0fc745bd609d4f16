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
  target?: string;
  limit: number;
  beforeId?: number;
}
