// Reading the audit trail.
import type { AuditQuery } from '../domain/audit.ts';
import type { Store } from '../storage/store.ts';

export function createAuditReader(store: Store) {
  return {
    list: (query: AuditQuery) => store.listAudit(query),
  };
}
