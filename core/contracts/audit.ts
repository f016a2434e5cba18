import { z } from 'zod';
import { defineMethod } from './define.ts';

const Iso = z.iso.datetime({ offset: true });
const Hash = z.string().regex(/^[0-9a-f]{64}$/);

/** A text file the API hands over for saving as it is. */
const KitFileSchema = z.object({ fileName: z.string(), mediaType: z.string(), encoding: z.literal('utf8'), content: z.string(), sha256: Hash });

/** What a search or an export selects; principals outside the installation's administrators see their own account only. */
export const AuditFilterSchema = z.object({
  from: Iso.optional(),
  to: Iso.optional(),
  /**
   * Who acted: a person's user id, or part of their display name or email (any case). A search
   * finds every person it matches among those the caller may know about (its account's members
   * and the installation's administrators; everyone for an installation administrator), plus
   * entries whose actor id is exactly this. An export names one actor: a fragment that matches
   * several people is refused.
   */
  actor: z.string().trim().min(1).max(200).optional(),
  /** The account entries concern. */
  accountId: z.string().min(1).max(100).optional(),
  /** An exact action, or a prefix ending in `*` or `.` (`auth.*`). */
  action: z.string().min(1).max(200).regex(/^[A-Za-z0-9._-]+\*?$/, 'letters, digits, . _ - and a trailing * only').optional(),
  outcome: z.enum(['success', 'failure', 'denied']).optional(),
  /** Substring of the action, resource or plaintext details. */
  text: z.string().max(200).optional(),
});
export type AuditFilterInput = z.infer<typeof AuditFilterSchema>;

/** A person the audit page names: as the log names them, with the email they sign in with. */
export const AuditPersonSchema = z.object({ userId: z.string(), displayName: z.string(), email: z.string().nullable() });
export type AuditPerson = z.infer<typeof AuditPersonSchema>;

/** What an entry's `resource` names, for people; the entry keeps its exact `resource` string. */
export const AuditResourceSchema = z.object({
  /** `run` for `run:<id>`, …; `other` for a kind the page shows as it is. */
  kind: z.enum(['account', 'user', 'run', 'draft', 'trace', 'span', 'model', 'other']),
  /** The id after the prefix (`span`: `traceId/spanId`); the whole string for `other`. */
  id: z.string(),
  /** An account's or a person's name, when the caller may know it; else null (the id is shown). */
  name: z.string().nullable(),
  /**
   * The page the caller may open for it: a run, draft or trace of the caller's account, with the
   * permission to read it (a run links to its trace for those who read traces but not runs); else null.
   */
  open: z.object({ page: z.enum(['run', 'draft', 'trace']), id: z.string(), spanId: z.string().optional() }).nullable(),
});
export type AuditResourceLabel = z.infer<typeof AuditResourceSchema>;

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.string(),
  accountId: z.string().nullable(),
  /** The account's name, also after it was deleted; null with no account or when its record is gone. */
  accountName: z.string().nullable(),
  /** The account the entry concerns was deleted (or its record is gone). */
  accountDeleted: z.boolean(),
  actor: z.object({ userId: z.string().nullable(), displayName: z.string().nullable(), accountId: z.string().nullable(), roles: z.array(z.string()) }),
  action: z.string(),
  resource: z.string().nullable(),
  /** `resource` for people: named, and the page to open; null when there is no resource. */
  resourceLabel: AuditResourceSchema.nullable(),
  outcome: z.enum(['success', 'failure', 'denied']),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  hasContent: z.boolean(),
  prev: Hash,
  hash: Hash,
});
export type AuditEntryView = z.infer<typeof AuditEntrySchema>;

export const AuditVerificationSchema = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  purged: z.number().int(),
  checkpoints: z.number().int(),
  lastCheckpoint: z.object({ size: z.number().int(), root: Hash, at: z.string(), keyId: z.string() }).nullable(),
  firstProblem: z.object({ seq: z.number().int().optional(), checkpoint: z.number().int().optional(), reason: z.string() }).nullable(),
  verifiedAt: z.string(),
});
export type AuditVerification = z.infer<typeof AuditVerificationSchema>;

export const AuditRetentionSchema = z.object({
  accountId: z.string(),
  retentionDays: z.number().int(),
  legalHold: z.boolean(),
  /** Why the account is on hold: sealed content, null for roles that do not read content. */
  legalHoldReason: z.string().nullable(),
  /** On hold, and the reason is withheld from this caller's role (an auditor sees metadata only). */
  legalHoldReasonWithheld: z.boolean(),
  updatedAt: z.string().nullable(),
});

const accountInput = z.object({ accountId: z.string().min(1).max(100).optional() });

/** Why a legal hold is placed or released: required, never blank; sealed into its audit entry as content. */
const LegalHoldReasonSchema = z.string().trim().min(1, 'give the reason (e.g. a case number or the order that ends the hold)').max(500);

export const auditMethods = {
  'audit.list': defineMethod({
    summary: 'Search the audit log, newest first, one page at a time.',
    input: AuditFilterSchema.extend({ beforeSeq: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    output: z.object({
      entries: z.array(AuditEntrySchema),
      nextBeforeSeq: z.number().int().nullable(),
      /** With an actor filter: who it matched (the first 20 by name; `total` counts them all); null without one. */
      actorMatch: z.object({
        query: z.string(),
        /** The query is the user id of the one person listed. */
        exactId: z.boolean(),
        people: z.array(AuditPersonSchema),
        total: z.number().int(),
      }).nullable(),
    }),
    permission: 'audit.read',
  }),
  'audit.get': defineMethod({
    summary: 'One entry; its sealed content too for principals allowed to read content.',
    input: z.object({ seq: z.number().int().min(1) }).strict(),
    output: z.object({ entry: AuditEntrySchema, content: z.unknown().optional(), contentStatus: z.enum(['none', 'shown', 'withheld', 'destroyed']) }),
    permission: 'audit.read',
  }),
  'audit.verify': defineMethod({
    summary: 'Check the whole chain, every checkpoint signature and every Merkle root in the database.',
    input: z.object({}).strict(),
    output: AuditVerificationSchema,
    permission: 'audit.read',
  }),
  'audit.export': defineMethod({
    summary: 'Export matching entries as JSONL (verifiable offline), CSV or a PDF summary; returns the file content.',
    input: AuditFilterSchema.extend({ format: z.enum(['jsonl', 'csv', 'pdf']) }).strict(),
    output: z.object({
      fileName: z.string(),
      mediaType: z.string(),
      encoding: z.enum(['utf8', 'base64']),
      content: z.string(),
      entries: z.number().int(),
      bytes: z.number().int(),
      sha256: Hash,
    }),
    permission: 'audit.export',
  }),
  'audit.publicKey': defineMethod({
    summary: 'The installation’s checkpoint-signing public keys, for verifiers to pin.',
    input: z.object({}).strict(),
    output: z.array(z.object({ keyId: z.string(), algorithm: z.literal('Ed25519'), publicKey: z.string(), publicKeyPem: z.string(), createdAt: z.string(), retiredAt: z.string().nullable() })),
    permission: 'audit.read',
  }),
  'audit.verifierKit': defineMethod({
    summary: 'What an auditor needs to check a JSONL export offline, anywhere: the standalone verifier (verify-audit.mjs, needs only Node.js) and the installation’s checkpoint-signing public keys.',
    input: z.object({}).strict(),
    output: z.object({
      script: KitFileSchema,
      /** The active key as audit-key.pem; retired ones (older checkpoints) as audit-key-<id>.pem. */
      publicKeys: z.array(KitFileSchema.extend({ keyId: z.string(), retired: z.boolean() })),
    }),
    permission: 'audit.export',
  }),
  'audit.retention.get': defineMethod({
    summary: 'An account’s audit retention and legal hold (default: the caller’s account).',
    input: accountInput.strict(),
    output: AuditRetentionSchema,
    permission: 'audit.read',
  }),
  'audit.retention.set': defineMethod({
    summary: 'Set how long an account’s audit entries are kept at least.',
    input: accountInput.extend({ retentionDays: z.number().int().min(1).max(36_500) }).strict(),
    output: AuditRetentionSchema,
    permission: 'audit.retention',
  }),
  'audit.legalHold.set': defineMethod({
    summary: 'Place or release a legal hold, with the reason for either: nothing of the account is purged or deleted while it holds.',
    input: accountInput.extend({ hold: z.boolean(), reason: LegalHoldReasonSchema }).strict(),
    output: AuditRetentionSchema,
    permission: 'audit.retention',
  }),
  'audit.purge': defineMethod({
    summary: 'Remove the content of entries older than their retention, leaving a signed tombstone checkpoint.',
    input: accountInput
      .extend({
        dryRun: z.boolean().default(false),
        /** With dryRun only: count as if the account kept entries this many days (before shortening its retention). */
        retentionDays: z.number().int().min(1).max(36_500).optional(),
      })
      .strict()
      .refine((input) => input.retentionDays === undefined || input.dryRun, { path: ['retentionDays'], message: 'only with dryRun: a purge always follows the retention that is set' }),
    output: z.object({
      dryRun: z.boolean(),
      purged: z.number().int(),
      accounts: z.array(z.object({ accountId: z.string(), cutoff: z.string(), purged: z.number().int(), legalHold: z.boolean() })),
      tombstone: z.object({ size: z.number().int(), root: Hash }).nullable(),
    }),
    permission: 'audit.retention',
  }),
};
