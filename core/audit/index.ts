// core/audit: the append-only, hash-chained record of who did what, with signed Merkle
// checkpoints, verifiable exports, retention and legal hold. Entries are appended in the same
// transaction as the change they describe. The format is specified in FORMAT.md.
export { AuditLog } from './auditLog.ts';
export type { AuditDetailValue, AuditEntry, AuditLogOptions, AuditOutcome, CheckpointRecord, StoredAuditEntry } from './auditLog.ts';
export { canonicalJson, encodeEntry, entryHash, genesisHash } from './canonical.ts';
export type { CanonicalEntry } from './canonical.ts';
export { FileSink, MemorySink } from './exportJsonl.ts';
export type { ExportSink } from './exportJsonl.ts';
export { auditHandlers, toAuditFilter } from './handlers.ts';
export { emptyRoot, Frontier, MerkleTree, nodeHash, verifyInclusion } from './merkle.ts';
export type { AuditFilter } from './query.ts';
export { AuditRetention, defaultRetentionDays } from './retention.ts';
export type { PurgeReport, RetentionPolicy } from './retention.ts';
export { AuditService, exportMediaTypes } from './service.ts';
export type { ExportedFile, ExportFormat, RetentionView } from './service.ts';
export { keyIdOf } from './signing.ts';
export type { AuditPublicKey } from './signing.ts';
export { verifyDatabase } from './verifyDatabase.ts';
export type { VerificationReport } from './verifyDatabase.ts';
export { ExportVerifier, parseTrustedKey, verifyExportBytes, verifyExportFile } from './verifyExport.ts';
export type { ExportVerification, VerifyExportOptions } from './verifyExport.ts';
