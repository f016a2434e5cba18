// core/audit: the append-only, security-relevant record of who did what. Entries are appended
// in the same transaction as the change they describe.
export { AuditLog } from './auditLog.ts';
export type { AuditEntry, AuditOutcome, StoredAuditEntry } from './auditLog.ts';
