import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shippedPath } from '../base/index.ts';
import type { AuditEntryView, AuditFilterInput, auditMethods } from '../contracts/index.ts';
import type { MethodHandlers } from '../api/index.ts';
import type { StoredAuditEntry } from './auditLog.ts';
import type { AuditFilter } from './query.ts';
import type { AuditService, EntryLabels, RetentionView } from './service.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** API filter (ISO times, `actor`) → the log's filter (epoch ms; `actorUserId` is what was typed, which the service resolves). */
export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  return {
    ...(input.from !== undefined ? { from: Date.parse(input.from) } : {}),
    ...(input.to !== undefined ? { to: Date.parse(input.to) } : {}),
    ...(input.actor !== undefined ? { actorUserId: input.actor } : {}),
    ...(input.accountId !== undefined ? { accountId: input.accountId } : {}),
    ...(input.action !== undefined ? { action: input.action } : {}),
    ...(input.outcome !== undefined ? { outcome: input.outcome } : {}),
    ...(input.text !== undefined && input.text !== '' ? { text: input.text } : {}),
  };
}

function view(entry: StoredAuditEntry, labels: EntryLabels): AuditEntryView {
  const account = labels.account(entry.accountId);
  return {
    seq: entry.seq,
    at: iso(entry.at),
    accountId: entry.accountId,
    accountName: account.name,
    accountDeleted: account.deleted,
    actor: { userId: entry.actorUserId, displayName: labels.actorName(entry.actorUserId), accountId: entry.actorAccountId, roles: [...entry.actorRoles] },
    action: entry.action,
    resource: entry.resource,
    resourceLabel: labels.resource(entry.resource),
    outcome: entry.outcome,
    requestId: entry.requestId,
    details: entry.details,
    hasContent: entry.hasContent,
    prev: entry.prev,
    hash: entry.hash,
  };
}

/** At most this many matched people are named in a listing; `total` counts them all. */
const namedMatches = 20;

function policyView(policy: RetentionView) {
  return { accountId: policy.accountId, retentionDays: policy.retentionDays, legalHold: policy.legalHold, legalHoldReason: policy.legalHoldReason, legalHoldReasonWithheld: policy.legalHoldReasonWithheld, updatedAt: policy.updatedAt === null ? null : iso(policy.updatedAt) };
}

/** Handlers for the audit methods (contracts/audit.ts). */
export function auditHandlers(service: AuditService): Pick<MethodHandlers, keyof typeof auditMethods> {
  return {
    'audit.list': (input, { principal }) => {
      const { beforeSeq, limit, ...filter } = input;
      const page = service.list(principal, toAuditFilter(filter), { limit, ...(beforeSeq !== undefined ? { beforeSeq } : {}) });
      const labels = service.labels(principal, page.entries);
      const match = page.actorMatch;
      return {
        entries: page.entries.map((entry) => view(entry, labels)),
        nextBeforeSeq: page.nextBeforeSeq,
        actorMatch: match === null ? null : { query: match.query, exactId: match.exactId, people: match.people.slice(0, namedMatches), total: match.people.length },
      };
    },
    'audit.get': (input, { principal }) => {
      const found = service.get(principal, input.seq);
      return { entry: view(found.entry, service.labels(principal, [found.entry])), contentStatus: found.contentStatus, ...(found.content !== undefined ? { content: found.content } : {}) };
    },
    'audit.verify': async () => {
      const report = await service.verify();
      return {
        ok: report.ok,
        entries: report.entries,
        purged: report.purged,
        checkpoints: report.checkpoints,
        lastCheckpoint: report.lastCheckpoint ? { ...report.lastCheckpoint, at: iso(report.lastCheckpoint.at) } : null,
        firstProblem: report.firstProblem ? { reason: report.firstProblem.reason, ...(report.firstProblem.seq !== undefined ? { seq: report.firstProblem.seq } : {}), ...(report.firstProblem.checkpoint !== undefined ? { checkpoint: report.firstProblem.checkpoint } : {}) } : null,
        verifiedAt: iso(service.now()),
      };
    },
    'audit.export': (input, { principal, requestId }) => {
      const { format, ...filter } = input;
      return service.exportForApi(principal, toAuditFilter(filter), format, requestId);
    },
    'audit.publicKey': () =>
      service.log.signer.publicKeys().map((key) => ({ keyId: key.keyId, algorithm: key.algorithm, publicKey: key.publicKey, publicKeyPem: key.publicKeyPem, createdAt: iso(key.createdAt), retiredAt: key.retiredAt === null ? null : iso(key.retiredAt) })),
    'audit.verifierKit': () => {
      const file = (fileName: string, mediaType: string, content: string) => ({ fileName, mediaType, encoding: 'utf8' as const, content, sha256: createHash('sha256').update(content).digest('hex') });
      return {
        script: file('verify-audit.mjs', 'text/javascript', readFileSync(shippedPath('scripts', 'verify-audit.mjs'), 'utf8')),
        publicKeys: service.log.signer.publicKeys().map((key) => ({ ...file(key.retiredAt === null ? 'audit-key.pem' : `audit-key-${key.keyId}.pem`, 'application/x-pem-file', key.publicKeyPem), keyId: key.keyId, retired: key.retiredAt !== null })),
      };
    },
    'audit.retention.get': (input, { principal }) => policyView(service.policy(principal, input.accountId)),
    'audit.retention.set': (input, { principal, requestId }) => policyView(service.setRetention(principal, input.accountId, input.retentionDays, requestId)),
    'audit.legalHold.set': (input, { principal, requestId }) => policyView(service.setLegalHold(principal, input.accountId, input.hold, input.reason, requestId)),
    'audit.purge': (input, { principal, requestId }) => {
      const report = service.purge(principal, input.accountId, input.dryRun, requestId, input.retentionDays === undefined ? {} : { retentionDays: input.retentionDays });
      return {
        dryRun: report.dryRun,
        purged: report.purged,
        accounts: report.accounts.map((account) => ({ ...account, cutoff: iso(account.cutoff) })),
        tombstone: report.tombstone ? { size: report.tombstone.size, root: report.tombstone.root } : null,
      };
    },
  };
}
