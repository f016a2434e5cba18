import { CoreError } from '../base/index.ts';
import type { SpanKind } from '../contracts/index.ts';
import { Suspended } from '../workflows/index.ts';
import type { EngineSpan, RunPassOutcome, RunTracer, StepContext, StepMiddleware, StepOutcome } from '../workflows/index.ts';
import { nowMicros, parentPath, spanIdFor } from './ids.ts';
import type { SpanRecord, TraceRecorder } from './recorder.ts';

const spanKindOf: Readonly<Record<StepContext['step']['kind'], SpanKind>> = {
  llm: 'llm',
  tool: 'tool',
  retrieve: 'retrieval',
  map: 'step',
  branch: 'step',
  workflow: 'workflow',
  human: 'human',
  agent: 'agent',
  guardrail: 'guardrail',
};

/** How a failure is recorded: our own errors by code and message (they never carry content), anything else by code only. */
function failure(error: unknown): { errorCode: string; errorMessage: string | null } {
  if (error instanceof CoreError) return { errorCode: error.code, errorMessage: error.message };
  return { errorCode: 'ERR_WORKFLOW_STEP_FAILED', errorMessage: null };
}

/**
 * Turns the engine's execution into spans: one root span per run (re-opened by each pass), one
 * span per step through the middleware chain (outermost, so retries and timeouts are inside
 * it), and the spans the engine reports itself (agent turns, their tool calls, answers to human
 * steps). Span ids derive from the run's trace and the step path; parents from the path.
 */
export function createRunTracer(recorder: TraceRecorder, now: () => number = nowMicros, wallMs: () => number = Date.now): RunTracer {
  const middleware: StepMiddleware = async (context: StepContext, next): Promise<StepOutcome> => {
    const startUs = now();
    const started = performance.now();
    // A human step asked again has a span of its own (`approve~2`): the earlier ask keeps its answer.
    const spanPath = context.spanPath ?? context.path;
    const parent = parentPath(spanPath);
    const base = {
      accountId: context.accountId,
      traceId: context.traceId,
      spanId: spanIdFor(context.traceId, spanPath),
      parentSpanId: parent === null ? null : spanIdFor(context.traceId, parent),
      kind: spanKindOf[context.step.kind],
      name: context.step.id,
      path: spanPath,
      startUs,
    };
    try {
      const outcome = await next(context);
      const durationMs = performance.now() - started;
      recorder.record({ ...base, endUs: startUs + Math.round(durationMs * 1000), durationMs, status: 'ok', errorCode: null, errorMessage: null, attributes: { ...context.attributes, 'strongroom.step.kind': context.step.kind, 'strongroom.step.path': context.path }, input: context.content.input, output: outcome.output });
      return outcome;
    } catch (error) {
      if (error instanceof Suspended) {
        // Waiting on a person (here or inside): the span stays open until a later pass closes it.
        recorder.record({ ...base, endUs: null, durationMs: null, status: 'unset', errorCode: null, errorMessage: null, attributes: { ...context.attributes, 'strongroom.step.kind': context.step.kind, 'strongroom.step.path': context.path, 'strongroom.step.status': 'waiting' }, input: context.content.input });
      } else {
        const durationMs = performance.now() - started;
        recorder.record({ ...base, endUs: startUs + Math.round(durationMs * 1000), durationMs, status: 'error', ...failure(error), attributes: { ...context.attributes, 'strongroom.step.kind': context.step.kind, 'strongroom.step.path': context.path }, input: context.content.input });
      }
      throw error;
    }
  };

  const passStarts = new Map<string, { startUs: number; started: number }>();

  /** The run's root span: opened by each pass (its first start is kept), closed when the pass ends. */
  const rootSpan = (run: { id: string; traceId: string; workflowId: string; version: string }, accountId: string, state: Pick<SpanRecord, 'startUs' | 'endUs' | 'durationMs' | 'status' | 'errorCode' | 'errorMessage'>, runStatus?: RunPassOutcome['status']): void => {
    recorder.record({
      accountId,
      traceId: run.traceId,
      spanId: spanIdFor(run.traceId, ''),
      parentSpanId: null,
      kind: 'workflow',
      name: run.workflowId,
      path: '',
      ...state,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'strongroom.workflow.id': run.workflowId, 'strongroom.workflow.version': run.version, 'strongroom.run.id': run.id, ...(runStatus ? { 'strongroom.run.status': runStatus } : {}) },
    });
  };

  return {
    middleware,
    passStarted(run, accountId) {
      const startUs = now();
      passStarts.set(run.id, { startUs, started: performance.now() });
      recorder.openTrace({ accountId, traceId: run.traceId, runId: run.id, workflowId: run.workflowId, version: run.version, modelId: run.modelId, userId: run.createdBy, startUs });
      rootSpan(run, accountId, { startUs, endUs: null, durationMs: null, status: 'unset', errorCode: null, errorMessage: null });
    },
    passEnded(run, accountId, outcome: RunPassOutcome) {
      const pass = passStarts.get(run.id);
      passStarts.delete(run.id);
      const endUs = now();
      const status = outcome.status === 'completed' ? 'ok' : outcome.status === 'failed' || outcome.status === 'cancelled' ? 'error' : 'unset';
      rootSpan(run, accountId, { startUs: pass?.startUs ?? endUs, endUs, durationMs: pass ? performance.now() - pass.started : 0, status, errorCode: outcome.errorCode ?? null, errorMessage: outcome.errorMessage ?? null }, outcome.status);
      // A cancelled run ends: so does every span it left open (a human step waiting, the steps
      // around it) — with the cancellation, their content kept.
      if (outcome.status === 'cancelled') recorder.endOpenSpans({ accountId, traceId: run.traceId, endUs, errorCode: outcome.errorCode ?? 'ERR_WORKFLOW_CANCELLED', errorMessage: outcome.errorMessage ?? null, stepStatus: 'cancelled' });
      recorder.closeTrace({ accountId, traceId: run.traceId, status: outcome.status, endUs });
    },
    recovering(runs, accountId) {
      recorder.markCrashed(accountId, runs.map((r) => r.traceId));
    },
    span(run, accountId, span: EngineSpan) {
      // The engine measured the start on its wall clock; place the span on the same timeline as
      // the others (monotonic-derived), ending now, lasting what the wall clock says it lasted.
      const endUs = now();
      const startUs = endUs - Math.max(0, Math.round((wallMs() - span.startedAtMs) * 1000));
      const spanPath = span.spanPath ?? span.path;
      const parent = parentPath(spanPath);
      recorder.record({
        accountId,
        traceId: run.traceId,
        spanId: spanIdFor(run.traceId, spanPath),
        parentSpanId: parent === null ? null : spanIdFor(run.traceId, parent),
        kind: span.kind,
        name: span.name,
        path: spanPath,
        startUs,
        endUs,
        durationMs: (endUs - startUs) / 1000,
        status: span.status,
        errorCode: span.errorCode ?? null,
        errorMessage: span.errorMessage ?? null,
        attributes: { ...span.attributes, 'strongroom.step.path': span.path },
        ...(span.input === undefined ? {} : { input: span.input }),
        ...(span.output === undefined ? {} : { output: span.output }),
      });
    },
  };
}
