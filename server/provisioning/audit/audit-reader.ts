// Room: provisioning/audit/ owns the audit trail: the write op every use case adds
// to its batch (audit-op.ts) and the reader. It may call domain/ and storage/.
//
// Reading the audit trail.
import type { AuditQuery } from '../../domain/audit.ts';
import type { Store } from '../../storage/store.ts';

export function createAuditReader(store: Store) {
  return {
    list: (query: AuditQuery) => store.listAudit(query),
  };
}
