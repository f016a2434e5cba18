import type { KeyObject } from 'node:crypto';
// Types for scripts/verify-audit.mjs, so TypeScript tests and the benchmark can import it.
export interface VerifyAuditResult {
  ok: boolean;
  scope: 'complete' | 'filtered' | null;
  entries: number;
  checkpoints: number;
  treeSize: number | null;
  treeRoot: string | null;
  keyIds: string[];
  keysPinned: boolean;
  firstProblem: { line: number; seq?: number; reason: string } | null;
}
export interface VerifyAuditOptions {
  trustedKeys?: readonly string[];
}
export function verifyStream(read: (buffer: Buffer, offset: number, length: number) => number, options?: VerifyAuditOptions, sizeHint?: number): VerifyAuditResult;
export function verifyFile(path: string, options?: VerifyAuditOptions): VerifyAuditResult;
/** `workers`: worker threads besides the calling one, which scans too (default 1); `chunkBytes`: the range each scans at a time (default 2 MiB). */
export function verifyFileParallel(path: string, options?: VerifyAuditOptions, tuning?: { workers?: number; chunkBytes?: number }): Promise<VerifyAuditResult>;
export function verifyBytes(bytes: Uint8Array, options?: VerifyAuditOptions): VerifyAuditResult;
export function trustedKey(text: string): { id: string; key: KeyObject };
