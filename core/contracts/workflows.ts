import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';
import { WorkflowIdSchema } from './workflowDefinition.ts';

export const RunIdSchema = z.uuid();
export const RunStatusSchema = z.enum(['running', 'waiting', 'completed', 'failed', 'cancelled']);

export const WorkflowSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string(),
  source: z.enum(['shipped', 'imported']),
  classification: z.string(),
  versions: z.array(z.object({ version: z.string(), source: z.enum(['shipped', 'imported']), importedAt: z.string().nullable() })),
});

export const RunSummarySchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  version: z.string(),
  status: RunStatusSchema,
  traceId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  waitingOn: z.array(z.string()),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  replayOf: z.string().nullable(),
  /** Whether a live Strongroom process is executing the run now; a `running` run that no process executes was left behind (a crash, a stop) and is continued by `runs.resume`, or by serve and the desktop app on their own within a minute (audited as an automatic `runs.resume`). */
  executing: z.boolean(),
});

export const RunStepSchema = z.object({
  path: z.string(),
  kind: z.string(),
  status: z.enum(['done', 'waiting', 'failed']),
  output: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export const LiveStepSchema = z.object({ path: z.string(), kind: z.string(), status: z.enum(['queued', 'running']), ahead: z.number().int().min(0).optional(), text: z.string(), stream: z.number().int().min(0) });
export type LiveStepView = z.infer<typeof LiveStepSchema>;

export const RunDetailSchema = RunSummarySchema.extend({
  input: z.unknown(),
  output: z.unknown(),
  steps: z.array(RunStepSchema),
  /** The model the run asked for, else the first one it used; null before its first model step. */
  modelId: z.string().nullable(),
  /** That model is a generated test model (`strongroom demo`): the run's text is meaningless. */
  testModel: z.boolean(),
  /** The caller's own unsubmitted answers to waiting steps (`runs.autosaveAnswer`), to fill their forms again. */
  workingAnswers: z.array(z.object({ path: z.string(), answer: z.unknown(), savedAt: z.string() })),
  /** Who started the run (user id). */
  createdBy: z.string(),
  /** Names of the people the run mentions — its starter, who answered its steps — by user id; absent when unknown. */
  names: z.record(z.string(), z.string()),
  /**
   * Model steps in flight in this process: queued for a busy model (`ahead`: requests before it)
   * or generating, with the text streamed so far; later `runs.delta` events continue it at their
   * `offset`. Empty when no step is in flight here.
   */
  live: z.array(LiveStepSchema),
});

export const ApprovalPolicySchema = z.object({
  accountId: z.string(),
  /** Every approval in the account needs someone other than whoever started the run or prepared the draft. */
  fourEyes: z.boolean(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
export type ApprovalPolicyView = z.infer<typeof ApprovalPolicySchema>;

export const workflowMethods = {
  'workflows.list': defineMethod({
    summary: 'Workflows available in this account, shipped and imported, with their versions.',
    input: z.object({}).strict(),
    output: z.array(WorkflowSummarySchema),
    permission: 'workflows.read',
  }),
  'workflows.get': defineMethod({
    summary: 'One workflow definition (latest or a given version).',
    input: z.object({ workflowId: WorkflowIdSchema, version: z.string().regex(/^[0-9a-f]{64}$/).optional() }).strict(),
    output: z.object({ version: z.string(), definition: z.record(z.string(), z.unknown()) }),
    permission: 'workflows.read',
  }),
  'workflows.validate': defineMethod({
    summary: 'Validate a definition (JSON or YAML text) without importing it; issues name their paths.',
    input: z.object({ text: z.string().min(1).max(1_000_000) }).strict(),
    output: z.object({ valid: z.boolean(), id: z.string().nullable(), version: z.string().nullable(), issues: z.array(z.object({ path: z.string(), message: z.string() })) }),
    permission: 'workflows.read',
  }),
  'workflows.import': defineMethod({
    summary: 'Import a definition (JSON or YAML text) as a new version in this account.',
    input: z.object({ text: z.string().min(1).max(1_000_000) }).strict(),
    output: z.object({ id: z.string(), version: z.string(), created: z.boolean() }),
    permission: 'workflows.manage',
    audit: true,
  }),
  'runs.start': defineMethod({
    summary: 'Start a run of a workflow with an input; it continues in the background.',
    input: z.object({ workflowId: WorkflowIdSchema, input: z.unknown(), modelId: z.string().max(128).optional() }).strict(),
    output: RunSummarySchema,
    permission: 'runs.start',
    audit: true,
  }),
  'runs.list': defineMethod({
    summary: 'Recent runs in this account.',
    input: z.object({ status: RunStatusSchema.optional(), limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.array(RunSummarySchema),
    permission: 'runs.read',
  }),
  'runs.get': defineMethod({
    summary: 'A run with its input, output and every checkpointed step.',
    input: z.object({ runId: RunIdSchema }).strict(),
    output: RunDetailSchema,
    permission: 'runs.read',
  }),
  'runs.answer': defineMethod({
    summary: 'Answer a waiting human step (approve, edit or input); the run resumes from that branch.',
    input: z.object({ runId: RunIdSchema, path: z.string().min(1).max(1000), answer: z.unknown() }).strict(),
    output: RunSummarySchema,
    permission: 'runs.answer',
    audit: true,
  }),
  'runs.autosaveAnswer': defineMethod({
    summary: 'Keep what you have typed into a waiting step and not submitted (restored after a reload or crash, for you only); null drops it.',
    // Not validated against the step's form: a half-filled form is what a working copy is.
    input: z.object({ runId: RunIdSchema, path: z.string().min(1).max(1000), answer: z.unknown().refine((value) => value !== undefined && JSON.stringify(value).length <= 200_000, 'The answer must be a JSON value of at most 200,000 characters.') }).strict(),
    output: z.object({ savedAt: z.string() }),
    permission: 'runs.answer',
  }),
  'runs.cancel': defineMethod({
    summary: 'Cancel a run.',
    input: z.object({ runId: RunIdSchema }).strict(),
    output: RunSummarySchema,
    permission: 'runs.cancel',
    audit: true,
  }),
  'runs.resume': defineMethod({
    summary: 'Resume a run that was interrupted (audited as runs.resume), or retry a failed one from the step that failed (audited as runs.retry); finished steps are not redone.',
    input: z.object({ runId: RunIdSchema }).strict(),
    output: RunSummarySchema,
    permission: 'runs.start',
  }),
  'workflows.approvalPolicy.get': defineMethod({
    summary: 'An account’s approval policy: whether every approval there needs a second person (four-eyes).',
    input: z.object({ accountId: z.string().min(1).max(100) }).strict(),
    output: ApprovalPolicySchema,
    permission: 'account.read',
    resource: (input) => ({ accountId: input.accountId }),
  }),
  'workflows.approvalPolicy.set': defineMethod({
    summary: 'Turn four-eyes on or off for every approval in an account (approve steps and draft approvals), whatever each workflow says.',
    input: z.object({ accountId: z.string().min(1).max(100), fourEyes: z.boolean() }).strict(),
    output: ApprovalPolicySchema,
    permission: 'boundaries.manage',
    resource: (input) => ({ accountId: input.accountId }),
    audit: true,
  }),
  'runs.replay': defineMethod({
    summary: 'Re-run a past run with its recorded model and tool outputs, on the same or the latest workflow version.',
    input: z.object({ runId: RunIdSchema, against: z.enum(['same', 'latest']).default('same') }).strict(),
    output: RunSummarySchema,
    permission: 'runs.start',
    audit: true,
  }),
};

export const workflowEvents = {
  /** A step or run changed state. */
  'runs.progress': defineEvent({
    // status 'queued' (with `ahead`: requests before it) while an llm step waits for a busy local model.
    payload: z.object({ accountId: z.string(), runId: z.string(), path: z.string(), kind: z.string(), status: z.string(), ahead: z.number().int().min(0).optional(), at: z.string() }),
    permission: 'runs.read',
    accountScoped: true,
  }),
  /** Text a model step is generating, as it streams. */
  'runs.delta': defineEvent({
    // offset: where `text` starts in the step's text so far (RunDetail.live carries that text);
    // stream: which generation (a retry starts a new one at offset 0; later ones have larger ids).
    payload: z.object({ accountId: z.string(), runId: z.string(), path: z.string(), text: z.string(), offset: z.number().int().min(0).optional(), stream: z.number().int().min(0).optional() }),
    permission: 'runs.read',
    accountScoped: true,
  }),
};
