import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';
import { RunStatusSchema } from './workflows.ts';

/**
 * Traces and feedback. Every run is one trace (W3C ids: 32 hex trace id, 16 hex span ids); every
 * step, model call and tool call one span, with OpenTelemetry GenAI attributes. Metadata (names,
 * times, status, token counts, model ids) is plaintext for filtering; content — messages,
 * outputs, tool arguments and results, feedback comments and edits — is sealed, and shown only
 * to roles holding `traces.content` (an auditor sees metadata, never content).
 */

export const TraceIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a trace id is 32 lowercase hex characters');
export const SpanIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'a span id is 16 lowercase hex characters');

export const spanKinds = ['workflow', 'step', 'llm', 'tool', 'retrieval', 'guardrail', 'cache', 'human', 'agent'] as const;
export const SpanKindSchema = z.enum(spanKinds);
export type SpanKind = z.infer<typeof SpanKindSchema>;

/** OpenTelemetry status codes. */
export const SpanStatusSchema = z.enum(['unset', 'ok', 'error']);

export const AttributeValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export type AttributeValue = z.infer<typeof AttributeValueSchema>;

/** running/completed/… follow the run; `interrupted` = the app stopped mid-run (it resumes at next start). */
export const TraceStatusSchema = z.union([RunStatusSchema, z.literal('interrupted')]);

export const TraceSummarySchema = z.object({
  traceId: z.string(),
  runId: z.string().nullable(),
  workflowId: z.string().nullable(),
  version: z.string().nullable(),
  modelId: z.string().nullable(),
  /** The model is a generated test model (`strongroom demo`): the trace's text is meaningless. */
  testModel: z.boolean(),
  status: TraceStatusSchema,
  userId: z.string().nullable(),
  /** The user's display name (the IdP's, or "Local administrator"); null when unknown. */
  userName: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
  spanCount: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  feedbackCount: z.number().int(),
  flagged: z.boolean(),
  /** Spans were lost (a crash before the last batch was written); what is stored is intact. */
  incomplete: z.boolean(),
});
export type TraceSummary = z.infer<typeof TraceSummarySchema>;

export const SpanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  kind: SpanKindSchema,
  name: z.string(),
  /** The step path (`risks[2].draft`), empty for the run's root span. */
  path: z.string(),
  /** Wall-clock start (ISO) and exact start/end as Unix microseconds; end is null while open. */
  startTime: z.string(),
  startUs: z.number().int(),
  endUs: z.number().int().nullable(),
  /** Measured on the monotonic clock. */
  durationMs: z.number().nullable(),
  status: SpanStatusSchema,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  attributes: z.record(z.string(), AttributeValueSchema),
});
export type Span = z.infer<typeof SpanSchema>;

export const SpanDetailSchema = SpanSchema.extend({
  /** Whether the caller's role may read content; when false, `content` is null whatever was recorded. */
  contentVisible: z.boolean(),
  content: z.object({ input: z.unknown(), output: z.unknown() }).nullable(),
});
export type SpanDetail = z.infer<typeof SpanDetailSchema>;

const isoDate = z.iso.datetime({ offset: true });

export const TraceFilterSchema = z.object({
  workflowId: z.string().max(128).optional(),
  version: z.string().max(64).optional(),
  modelId: z.string().max(128).optional(),
  status: TraceStatusSchema.optional(),
  userId: z.string().max(256).optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  hasFeedback: z.boolean().optional(),
  flagged: z.boolean().optional(),
}).strict();
export type TraceFilter = z.infer<typeof TraceFilterSchema>;

export const feedbackActions = ['review', 'accept', 'reject', 'edit', 'regenerate'] as const;
export const FeedbackActionSchema = z.enum(feedbackActions);

const LabelSchema = z.string().trim().min(1).max(64);

/** What a person says about a span. At least one of the judgement fields must be given. */
export const FeedbackInputSchema = z.object({
  /** `review` for a reviewer's judgement; the drafting actions record what an analyst did. */
  action: FeedbackActionSchema.default('review'),
  rating: z.number().int().min(1).max(5).optional(),
  verdict: z.enum(['approve', 'reject']).optional(),
  comment: z.string().max(20_000).optional(),
  labels: z.array(LabelSchema).max(32).optional(),
  /** Rubric scores, each 0–10 (e.g. `accuracy`, `completeness`). */
  scores: z.record(z.string().trim().min(1).max(64), z.number().min(0).max(10)).optional(),
  /** An expert edit of the span's output: the diff and edit distance are computed when stored. */
  edit: z.object({ before: z.string().max(1_000_000), after: z.string().max(1_000_000) }).strict().optional(),
  /** The instruction given with a regenerate ("shorter", "add the 2024 covenant breach"). */
  instruction: z.string().max(4_000).optional(),
}).strict();
export type FeedbackInput = z.input<typeof FeedbackInputSchema>;

export const FeedbackSchema = z.object({
  id: z.string(),
  version: z.number().int(),
  traceId: z.string(),
  spanId: z.string(),
  action: FeedbackActionSchema,
  rating: z.number().nullable(),
  verdict: z.enum(['approve', 'reject']).nullable(),
  labels: z.array(z.string()),
  scores: z.record(z.string(), z.number()),
  /** Characters inserted, deleted or substituted (Levenshtein) from before to after. */
  editDistance: z.number().int().nullable(),
  contentVisible: z.boolean(),
  /** Null unless the caller may read content. */
  comment: z.string().nullable(),
  instruction: z.string().nullable(),
  edit: z.object({ before: z.string(), after: z.string(), diff: z.string() }).nullable(),
  createdBy: z.string(),
  /** The author's display name; null when unknown. */
  createdByName: z.string().nullable(),
  createdAt: z.string(),
});
export type Feedback = z.infer<typeof FeedbackSchema>;

export const TraceStatsSchema = z.object({
  bucket: z.enum(['hour', 'day']),
  series: z.array(z.object({
    workflowId: z.string(),
    bucketStart: z.string(),
    runs: z.number().int(),
    p50Ms: z.number(),
    p90Ms: z.number(),
    p99Ms: z.number(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
  })),
});

/**
 * An HTTP header name a collector reads a token from (RFC 9110 token characters). The headers the
 * push itself sets, and those the transport owns, cannot be chosen.
 */
export const PushTokenHeaderSchema = z.string().trim().toLowerCase().min(1).max(128)
  .regex(/^[a-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name: letters, digits and - _ . only')
  .refine((name) => !['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', 'cookie'].includes(name), 'this header is set by the push itself');

/** A collector token: visible ASCII (no line breaks), as a header value must be. */
export const PushTokenSchema = z.string().min(1).max(8192).regex(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/, 'a token of visible ASCII characters, no line breaks');

/** A PEM file of the CA(s) that sign the collector's certificate, by absolute path on the machine running Strongroom. */
export const PushCaFileSchema = z.string().min(2).max(4096).refine((path) => path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path), 'an absolute path to a PEM file');

/** Why the last push failed, in a word a script can test. */
export const pushFailureReasons = ['http_status', 'unreachable', 'timeout', 'tls', 'ca_file', 'token_unavailable'] as const;

/** What the push has done since this app started: counts of spans, and when it last worked or failed (and why). */
export const OtlpPushStatusSchema = z.object({
  pushedSpans: z.number().int(),
  failedSpans: z.number().int(),
  /** Spans that never left: the buffer was full while a slow collector answered. */
  droppedSpans: z.number().int(),
  lastSuccessAt: z.string().nullable(),
  lastFailure: z.object({ at: z.string(), reason: z.enum(pushFailureReasons), message: z.string() }).nullable(),
});
export type OtlpPushStatus = z.infer<typeof OtlpPushStatusSchema>;

/** Whether spans are pushed, where to, and with or without content. */
const PushTargetSchema = z.object({
  enabled: z.boolean(),
  /** An OTLP/HTTP traces endpoint, e.g. https://collector.bank.internal:4318/v1/traces. */
  endpoint: z.url({ protocol: /^https?$/ }).max(2048).nullable(),
  /** Content is never pushed unless this is on; metadata only by default. */
  includeContent: z.boolean(),
});

export const OtlpPushConfigSchema = PushTargetSchema.extend({
  /** The CA file trusted for the collector's certificate instead of the public roots; null: the public roots. */
  caFile: z.string().nullable(),
  /** The header that carries the token (`authorization`: sent as `Bearer TOKEN`; any other: the token as it is). */
  tokenHeader: z.string(),
  /** Whether a token is kept for the collector (in the OS keychain; never returned). */
  tokenSet: z.boolean(),
  status: OtlpPushStatusSchema,
});
export type OtlpPushConfig = z.infer<typeof OtlpPushConfigSchema>;

/** What an administrator sets. Omitted `caFile`, `tokenHeader` and `token` stay as they are; null clears. */
export const OtlpPushSettingsSchema = PushTargetSchema.extend({
  caFile: PushCaFileSchema.nullable().optional(),
  tokenHeader: PushTokenHeaderSchema.optional(),
  /** Write-only: kept in the OS keychain, like a remote model's API key. */
  token: PushTokenSchema.nullable().optional(),
}).strict();
export type OtlpPushSettings = z.infer<typeof OtlpPushSettingsSchema>;

/** Traces per part of an export by time, unless the request asks for fewer. */
export const traceExportPartDefault = 250;

export const TraceExportInputSchema = z.object({
  traceId: TraceIdSchema.optional(),
  since: isoDate.optional(),
  /** Exclusive; default: when the first part was asked for, so a busy account's export ends. */
  until: isoDate.optional(),
  /** From the previous part; `since` must be the same. */
  cursor: z.string().max(300).optional(),
  /** At most this many traces in this part (fewer if their spans are many). */
  limit: z.number().int().min(1).max(1000).optional(),
}).strict()
  .refine((v) => (v.traceId === undefined) !== (v.since === undefined), 'give either traceId or since')
  .refine((v) => v.traceId === undefined || (v.until === undefined && v.cursor === undefined && v.limit === undefined), 'until, cursor and limit go with since, not traceId')
  .refine((v) => v.since === undefined || v.until === undefined || Date.parse(v.since) < Date.parse(v.until), { message: 'until must be after since', path: ['until'] });
export type TraceExportInput = z.input<typeof TraceExportInputSchema>;

/** One part of an export: an OTLP/JSON TracesData document of whole traces. */
export const TraceExportSchema = z.object({
  document: z.record(z.string(), z.unknown()),
  /** Traces and spans in this part. */
  traces: z.number().int(),
  spans: z.number().int(),
  contentIncluded: z.boolean(),
  /**
   * Spans whose stored content could not be decrypted (altered, or copied from another row): they
   * are in the document with their metadata and `strongroom.content.unreadable`, without content.
   */
  unreadableSpans: z.number().int(),
  /** Traces in the whole export (every part). */
  total: z.number().int(),
  /** Ask again with it for the next part; null: this was the last. */
  nextCursor: z.string().nullable(),
});
export type TraceExport = z.infer<typeof TraceExportSchema>;

interface OtlpPartDocument {
  resourceSpans: Array<{ resource: unknown; scopeSpans: Array<{ scope: unknown; spans: unknown[] }> }>;
}

/**
 * Every part of an export as one OTLP/JSON document, written piece by piece so that only one part
 * is ever in memory: the first part's resource and scope (one account, one build: the same in
 * every part) open the document, each part's spans follow, and the closing brackets come last.
 * `progress` hears after each part how many traces are written of how many. If a part fails, the
 * error is thrown and what was written is not a complete document — callers delete it. For the
 * CLI (to a file) and the Traces page (to a download) alike.
 */
export async function exportTraces(
  call: (input: TraceExportInput) => Promise<TraceExport>,
  input: TraceExportInput,
  write: (text: string) => void | Promise<void>,
  progress?: (written: number, total: number) => void,
): Promise<{ traces: number; spans: number; contentIncluded: boolean; unreadableSpans: number; parts: number }> {
  const done = { traces: 0, spans: 0, contentIncluded: true, unreadableSpans: 0, parts: 0 };
  let cursor: string | undefined;
  let spansWritten = false;
  do {
    const part = await call(cursor === undefined ? input : { ...input, cursor });
    const [resourceSpans] = (part.document as unknown as OtlpPartDocument).resourceSpans;
    const [scopeSpans] = resourceSpans?.scopeSpans ?? [];
    if (!resourceSpans || !scopeSpans) throw new Error('An export part is not an OTLP TracesData document with one resource and scope.');
    if (done.parts === 0) await write(`{"resourceSpans":[{"resource":${JSON.stringify(resourceSpans.resource)},"scopeSpans":[{"scope":${JSON.stringify(scopeSpans.scope)},"spans":[`);
    if (scopeSpans.spans.length > 0) {
      await write(`${spansWritten ? ',' : ''}${scopeSpans.spans.map((span) => JSON.stringify(span)).join(',')}`);
      spansWritten = true;
    }
    done.traces += part.traces;
    done.spans += part.spans;
    done.contentIncluded &&= part.contentIncluded;
    done.unreadableSpans += part.unreadableSpans;
    done.parts += 1;
    progress?.(done.traces, part.total);
    cursor = part.nextCursor ?? undefined;
  } while (cursor !== undefined);
  await write(']}]}]}');
  return done;
}

export const TracePurgeSchema = z.object({
  dryRun: z.boolean(),
  before: z.string(),
  /** The account is on legal hold: nothing was (or would be) deleted. */
  legalHold: z.boolean(),
  /** What was deleted (with dryRun: what would be). */
  purged: z.object({ traceCount: z.number().int(), spanCount: z.number().int() }),
  /** Traces started before the cutoff that stay, by reason (a trace can have several). */
  kept: z.object({ open: z.number().int(), withFeedback: z.number().int(), flagged: z.number().int(), withDraft: z.number().int() }),
});
export type TracePurge = z.infer<typeof TracePurgeSchema>;

/** Why older traces stayed, in words ("2 with feedback", "1 flagged"); empty when none did. For the CLI and the page alike. */
export function keptReasons(kept: TracePurge['kept']): string[] {
  const reasons = [[kept.open, 'still open'], [kept.withFeedback, 'with feedback'], [kept.flagged, 'flagged'], [kept.withDraft, 'behind a draft']] as const;
  return reasons.filter(([count]) => count > 0).map(([count, why]) => `${count.toLocaleString('en-US')} ${why}`);
}

export const TraceRetentionSchema = z.object({
  /** Traces started longer ago are deleted automatically (what a purge keeps stays); null: kept until purged. */
  retentionDays: z.number().int().nullable(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type TraceRetention = z.infer<typeof TraceRetentionSchema>;

export const tracingMethods = {
  'traces.list': defineMethod({
    summary: 'Traces in this account, newest first, filtered; page with the returned cursor.',
    input: TraceFilterSchema.extend({ cursor: z.string().max(200).optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    output: z.object({ traces: z.array(TraceSummarySchema), nextCursor: z.string().nullable(), total: z.number().int() }),
    permission: 'traces.read',
  }),
  'traces.get': defineMethod({
    summary: 'One trace with every span (metadata; content comes per span with traces.span).',
    input: z.object({ traceId: TraceIdSchema }).strict(),
    output: z.object({ trace: TraceSummarySchema, spans: z.array(SpanSchema) }),
    permission: 'traces.read',
  }),
  'traces.span': defineMethod({
    summary: 'One span with its inputs and outputs, if the role may read content.',
    input: z.object({ traceId: TraceIdSchema, spanId: SpanIdSchema }).strict(),
    output: SpanDetailSchema,
    permission: 'traces.read',
  }),
  'traces.flag': defineMethod({
    summary: 'Flag a trace for attention (or clear the flag).',
    input: z.object({ traceId: TraceIdSchema, flagged: z.boolean() }).strict(),
    output: TraceSummarySchema,
    permission: 'feedback.write',
    audit: true,
  }),
  'traces.stats': defineMethod({
    summary: 'Latency percentiles and tokens per workflow over time.',
    input: z.object({ workflowId: z.string().max(128).optional(), from: isoDate.optional(), to: isoDate.optional(), bucket: z.enum(['hour', 'day']).default('day') }).strict(),
    output: TraceStatsSchema,
    permission: 'traces.read',
  }),
  'traces.export': defineMethod({
    summary: 'Traces as OTLP/JSON: one trace, or every trace started in [since, until) in parts of whole traces, oldest first — pass nextCursor back until it is null (exportTraces joins the parts into one document). Content only if the role may read it.',
    input: TraceExportInputSchema,
    output: TraceExportSchema,
    permission: 'traces.export',
    audit: true,
  }),
  'traces.purge': defineMethod({
    summary: 'Delete the account’s traces started before a time, with their spans and sealed content. Open traces, traces with feedback, flagged traces and the traces behind drafts stay; nothing goes under a legal hold.',
    input: z.object({ before: isoDate, dryRun: z.boolean().default(false) }).strict(),
    output: TracePurgeSchema,
    permission: 'audit.retention',
    audit: true,
  }),
  'traces.retention.get': defineMethod({
    summary: 'How long the account keeps traces before they are deleted automatically (null: until purged).',
    input: z.object({}).strict(),
    output: TraceRetentionSchema,
    permission: 'traces.read',
  }),
  'traces.retention.set': defineMethod({
    summary: 'Delete the account’s traces automatically once they are this many days old (null: keep them until purged). Open, flagged and commented traces and those behind drafts stay; nothing goes under a legal hold.',
    input: z.object({ retentionDays: z.number().int().min(1).max(36_500).nullable() }).strict(),
    output: TraceRetentionSchema,
    permission: 'audit.retention',
    audit: true,
  }),
  'traces.pushConfig': defineMethod({
    summary: 'The OTLP/HTTP push to a collector (off by default), with what it has done since the app started.',
    input: z.object({}).strict(),
    output: OtlpPushConfigSchema,
    permission: 'installation.manage',
  }),
  'traces.setPushConfig': defineMethod({
    summary: 'Turn the OTLP/HTTP push to a collector on or off, and set where it goes, the CA that signs its certificate and the token it expects.',
    input: OtlpPushSettingsSchema.refine((v) => !v.enabled || v.endpoint !== null, { message: 'an endpoint is required to enable the push', path: ['endpoint'] }),
    output: OtlpPushConfigSchema,
    permission: 'installation.manage',
    audit: true,
  }),
  'feedback.submit': defineMethod({
    summary: 'Attach feedback to a span: rating, verdict, comment, labels, rubric scores or an expert edit.',
    input: z.object({ traceId: TraceIdSchema, spanId: SpanIdSchema, feedback: FeedbackInputSchema }).strict(),
    output: FeedbackSchema,
    permission: 'feedback.write',
    audit: true,
  }),
  'feedback.revise': defineMethod({
    summary: 'Change feedback: a new version is stored, the earlier ones are kept.',
    input: z.object({ feedbackId: z.uuid(), feedback: FeedbackInputSchema }).strict(),
    output: FeedbackSchema,
    permission: 'feedback.write',
    audit: true,
  }),
  'feedback.list': defineMethod({
    summary: 'The latest version of each feedback on a trace (or one span of it).',
    input: z.object({ traceId: TraceIdSchema, spanId: SpanIdSchema.optional() }).strict(),
    output: z.array(FeedbackSchema),
    permission: 'feedback.read',
  }),
  'feedback.history': defineMethod({
    summary: 'Every version of one feedback, oldest first.',
    input: z.object({ feedbackId: z.uuid() }).strict(),
    output: z.array(FeedbackSchema),
    permission: 'feedback.read',
  }),
};

export const tracingEvents = {
  /** Spans of a trace were written (the explorer refreshes). */
  'traces.recorded': defineEvent({
    payload: z.object({ accountId: z.string(), traceIds: z.array(z.string()) }),
    permission: 'traces.read',
    accountScoped: true,
  }),
};
