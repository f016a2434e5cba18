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
  step: Step;
  attempt: number;
  /** Cancelled with the run, or when the step times out. */
  signal: AbortSignal;
  /** Attributes for the trace (model, tokens, cache hit, guardrail decision, …). Metadata only, never content. */
  attributes: Record<string, AttributeValue>;
  /** What the step sent out (model messages, tool arguments, a query): content, sealed when traced. */
  content: { input?: unknown };
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
  kind: 'llm' | 'tool' | 'human';
  name: string;
  /** Wall-clock start in milliseconds (the end is now). */
  startedAtMs: number;
  status: 'ok' | 'error';
  errorCode?: string | null;
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

/** One link of the chain around every step: tracing, cache, guardrails, budgets, audit. */
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
