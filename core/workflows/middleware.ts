import { CoreError } from '../base/index.ts';
import type { AttributeValue, Step } from '../contracts/index.ts';

/** What a middleware sees of one step execution. */
export interface StepContext {
  runId: string;
  accountId: string;
  workflowId: string;
  workflowVersion: string;
  traceId: string;
  /** Where the step sits: `analysis`, `risks[2].section/draft`. */
  path: string;
  /**
   * The path its span is recorded under when it differs from `path`: a human step a retry asks
   * again (`approve~2`, its `ask`), so each ask — and the answer that ended it — keeps its own span.
   */
  spanPath?: string;
  /** Which time a human step is asked (absent: the first). */
  ask?: number;
  step: Step;
  attempt: number;
  /** Cancelled with the run, or when the step times out. */
  signal: AbortSignal;
  /** Attributes for the trace (model, tokens, cache hit, guardrail decision, …). Metadata only, never content. */
  attributes: Record<string, AttributeValue>;
  /** What the step sent out (model messages, tool arguments, a query): content, sealed when traced. */
  content: { input?: unknown };
  /** Who started the run: the person every step acts for (the audit link's actor). */
  startedBy?: string;
  /** The run's model budget and what it has spent, across passes (the budget link holds it). */
  budget?: BudgetTally | null;
  /** Tool calls the step made (a tool step, an agent's calls), for the audit link. */
  toolCalls?: ToolCallRecord[];
}

/** One tool call a step made. */
export interface ToolCallRecord {
  tool: string;
  /** Path of the call: the step's, or an agent turn's `plan#2.lookup`. */
  path: string;
  sideEffects: boolean;
  outcome: 'success' | 'failure';
  errorCode?: string | null;
}

/** A definition's `budget`: what one run may spend on models, across all its passes. */
export interface RunBudget {
  maxModelCalls?: number;
  maxTokens?: number;
}

/**
 * What a run has spent against its budget. Seeded from the run's checkpoints when a pass starts,
 * charged per model call (an llm step by the budget link, each agent turn by the engine).
 */
export class BudgetTally {
  readonly limits: RunBudget;
  modelCalls = 0;
  tokens = 0;

  constructor(limits: RunBudget) {
    this.limits = limits;
  }

  charge(usage: { inputTokens?: number; outputTokens?: number } | undefined): void {
    this.modelCalls += 1;
    this.tokens += (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0);
  }

  /** Throws ERR_WORKFLOW_BUDGET before a model call the budget no longer allows. */
  check(path: string): void {
    const { maxModelCalls, maxTokens } = this.limits;
    if (maxModelCalls !== undefined && this.modelCalls >= maxModelCalls) {
      throw new CoreError('ERR_WORKFLOW_BUDGET', `Step ${path}: the run has used its ${maxModelCalls} model calls (budget.maxModelCalls).`, { details: { path, limit: 'maxModelCalls', budget: maxModelCalls, spent: this.modelCalls } });
    }
    if (maxTokens !== undefined && this.tokens >= maxTokens) {
      throw new CoreError('ERR_WORKFLOW_BUDGET', `Step ${path}: the run has used ${this.tokens} of its ${maxTokens} model tokens (budget.maxTokens).`, { details: { path, limit: 'maxTokens', budget: maxTokens, spent: this.tokens } });
    }
  }
}

/** The final state of one execution pass over a run, as the trace records it. */
export interface RunPassOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'waiting' | 'interrupted';
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** A span the engine records itself, outside the step chain: agent turns, their tool calls, answered human steps. */
export interface EngineSpan {
  path: string;
  /** The span's own path when it differs from the step's: a human step asked again (`approve~2`). */
  spanPath?: string;
  kind: 'llm' | 'tool' | 'human';
  name: string;
  /** Wall-clock start in milliseconds (the end is now). */
  startedAtMs: number;
  status: 'ok' | 'error';
  errorCode?: string | null;
  /** Our own message (never content), with an error status. */
  errorMessage?: string | null;
  attributes: Record<string, AttributeValue>;
  input?: unknown;
  output?: unknown;
}

/** What the engine tells a tracer beyond the step chain: each pass over a run, and spans it records itself. */
export interface RunTracer {
  middleware: StepMiddleware;
  passStarted(run: { id: string; traceId: string; workflowId: string; version: string; modelId: string | null; createdBy: string }, accountId: string): void;
  passEnded(run: { id: string; traceId: string; workflowId: string; version: string }, accountId: string, outcome: RunPassOutcome): void;
  span(run: { id: string; traceId: string }, accountId: string, span: EngineSpan): void;
  /** Runs found executing at start, about to be resumed by this process (their last pass may have died with its process). */
  recovering(runs: ReadonlyArray<{ id: string; traceId: string }>, accountId: string): void;
}

export interface StepOutcome {
  output: unknown;
  /** What came from outside (model text, tool results) for deterministic replay. */
  recorded?: unknown;
}

/**
 * One link of the chain around every step. createCore composes, outermost first: tracing (the
 * tracer's), any `workflowMiddleware`, `cacheSeam`, `guardrailSeam`, `budgets`,
 * `timeoutsAndRetries`, `auditToolCalls`.
 */
export type StepMiddleware = (context: StepContext, next: (context: StepContext) => Promise<StepOutcome>) => Promise<StepOutcome>;

/** Composes middleware so the first in the list is outermost. */
export function compose(middleware: readonly StepMiddleware[], handler: (context: StepContext) => Promise<StepOutcome>): (context: StepContext) => Promise<StepOutcome> {
  return middleware.reduceRight<(context: StepContext) => Promise<StepOutcome>>((next, link) => (context) => link(context, next), handler);
}

/** Errors worth another attempt: timeouts and unavailable dependencies, never bad input or cancellation. */
export function isRetriable(error: unknown): boolean {
  if (!(error instanceof CoreError)) return false;
  // A tool failure is retried only when the tool says nothing was applied; its own error answer
  // (`failed`) replays identically, and an unknown outcome must never be applied twice.
  if (error.code === 'ERR_TOOL_FAILED' || error.code === 'ERR_TOOL_TIMEOUT') return error.details?.outcome === 'not_applied';
  return ['ERR_WORKFLOW_TIMEOUT', 'ERR_MODEL_TIMEOUT', 'ERR_MODEL_UNAVAILABLE', 'ERR_MODEL_RATE_LIMITED'].includes(error.code);
}

/** Per-step timeout and retries (declared on the step), with the run's cancellation respected. */
export function timeoutsAndRetries(options: { defaultTimeoutMs: number; sleep?: (ms: number) => Promise<void> }): StepMiddleware {
  const sleep = options.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  return async (context, next) => {
    const container = context.step.kind === 'map' || context.step.kind === 'branch' || context.step.kind === 'workflow';
    if (container || context.step.kind === 'human') return next(context);
    const attempts = (context.step.retries ?? 0) + 1;
    const timeoutMs = context.step.timeoutMs ?? options.defaultTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      // Also on the caller's context: the engine checkpoints how many attempts the step took.
      context.attempt = attempt;
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([context.signal, timeout]);
      try {
        // Race the abort too: a step that ignores its signal still cannot hold the run past its timeout.
        return await Promise.race([next({ ...context, attempt, signal }), rejectOnAbort(signal)]);
      } catch (error) {
        if (context.signal.aborted) throw new CoreError('ERR_WORKFLOW_CANCELLED', 'The run was cancelled.');
        const timedOut = timeout.aborted;
        const failure = timedOut ? new CoreError('ERR_WORKFLOW_TIMEOUT', `Step ${context.path} did not finish within ${timeoutMs} ms.`, { details: { path: context.path, timeoutMs } }) : error;
        if (attempt >= attempts || !(timedOut || isRetriable(error))) throw failure;
        await sleep(Math.min(200 * 2 ** (attempt - 1), 5_000));
      }
    }
  };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) reject(reason());
    else signal.addEventListener('abort', () => reject(reason()), { once: true });
  });
}

/**
 * The cache seam. A configured cache may answer a step from an earlier identical one (the step is
 * then not executed, and its trace says `strongroom.cache.hit`); none is configured until the
 * caching work lands, and the seam passes every step through.
 */
export interface StepCache {
  lookup(context: StepContext): StepOutcome | undefined;
  store(context: StepContext, outcome: StepOutcome): void;
}

export function cacheSeam(cache?: StepCache): StepMiddleware {
  if (!cache) return (context, next) => next(context);
  return async (context, next) => {
    const hit = cache.lookup(context);
    context.attributes['strongroom.cache.hit'] = hit !== undefined;
    if (hit) return hit;
    const outcome = await next(context);
    cache.store(context, outcome);
    return outcome;
  };
}

/**
 * The guardrail seam. Configured policies judge each step's outcome; a block fails the step with
 * ERR_GUARDRAIL_BLOCKED and the decision is on its trace (`strongroom.guardrail.decision`). The
 * policies arrive with the guardrails work; until then the seam passes every step through, and a
 * `guardrail` step records "pass".
 */
export interface GuardrailPolicies {
  judge(context: StepContext, outcome: StepOutcome): { decision: 'pass' | 'block'; policy: string; reason?: string };
}

export function guardrailSeam(policies?: GuardrailPolicies): StepMiddleware {
  if (!policies) return (context, next) => next(context);
  return async (context, next) => {
    const outcome = await next(context);
    const verdict = policies.judge(context, outcome);
    context.attributes['strongroom.guardrail.decision'] = verdict.decision;
    context.attributes['strongroom.guardrail.policy'] = verdict.policy;
    if (verdict.decision === 'block') {
      throw new CoreError('ERR_GUARDRAIL_BLOCKED', `Step ${context.path} was blocked by guardrail policy ${verdict.policy}${verdict.reason ? `: ${verdict.reason}` : ''}.`, { details: { path: context.path, policy: verdict.policy } });
    }
    return outcome;
  };
}

/**
 * The budget link: before a model step, refuses it when the run's budget is spent
 * (ERR_WORKFLOW_BUDGET, which a retry of the failed run will not get past unless the budget
 * grows); after an llm step, charges its usage. Agent turns are charged by the engine, turn by
 * turn. A replayed step calls no model and costs nothing.
 */
export function budgets(): StepMiddleware {
  return async (context, next) => {
    const tally = context.budget;
    const kind = context.step.kind;
    if (!tally || (kind !== 'llm' && kind !== 'agent')) return next(context);
    tally.check(context.path);
    const outcome = await next(context);
    const recorded = outcome.recorded as { usage?: { inputTokens?: number; outputTokens?: number }; replayedFrom?: string } | undefined;
    if (kind === 'llm' && !recorded?.replayedFrom) tally.charge(recorded?.usage);
    return outcome;
  };
}

/**
 * The audit link: every call a step made to a tool with side effects (a tool step's, an agent's)
 * becomes an audit entry `tools.call` — who the run acts for, which run and step, which tool,
 * whether it succeeded — also when the step fails. Calls without side effects are on the trace
 * only.
 */
export function auditToolCalls(append: (entry: { action: string; outcome: 'success' | 'failure'; actor: { userId: string | null; accountId: string }; resource: string; accountId: string; details: Record<string, string | number | boolean | null> }) => void): StepMiddleware {
  return async (context, next) => {
    if (context.step.kind !== 'tool' && context.step.kind !== 'agent') return next(context);
    const calls: ToolCallRecord[] = [];
    try {
      return await next({ ...context, toolCalls: calls });
    } finally {
      for (const call of calls.filter((c) => c.sideEffects)) {
        append({
          action: 'tools.call',
          outcome: call.outcome,
          actor: { userId: context.startedBy ?? null, accountId: context.accountId },
          resource: `tool:${call.tool}`,
          accountId: context.accountId,
          details: { runId: context.runId, path: call.path, workflowId: context.workflowId, ...(call.errorCode ? { errorCode: call.errorCode } : {}) },
        });
      }
    }
  };
}
