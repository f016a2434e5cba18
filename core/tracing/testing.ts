// Test and benchmark support: fills a database with synthetic traces through the real recorder
// (so they are sealed and aggregated exactly as recorded ones are). Never used by the app.
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../base/index.ts';
import type { SpanKind } from '../contracts/index.ts';
import type { Storage } from '../storage/index.ts';
import { spanIdFor } from './ids.ts';
import { TraceRecorder } from './recorder.ts';

export interface SeedOptions {
  accountId: string;
  /** How many traces. */
  traces: number;
  /** Spans under each trace's root (default 3): a tree of sections with model and tool calls. */
  spansPerTrace?: number;
  workflows?: readonly string[];
  models?: readonly string[];
  users?: readonly string[];
  /** The newest trace starts here (Unix µs; default now); the others spread back over `spreadDays`. */
  endUs?: number;
  spreadDays?: number;
  /** Seal a small input and output on every span (default true). */
  withContent?: boolean;
}

/**
 * Writes `traces` finished traces. Every 10th failed, every 25th flagged. Spans form a tree:
 * sections (step spans) each holding one model call and one tool call, so deep and wide trees
 * come out of large `spansPerTrace`. Returns the trace ids, newest first.
 */
export function seedTraces(storage: Storage, options: SeedOptions): string[] {
  const recorder = new TraceRecorder({ storage, logger: silentLogger(), batchSize: 5_000, flushIntervalMs: 60_000 });
  const workflows = options.workflows ?? ['credit-memo', 'kyc-periodic-review', 'sar-narrative'];
  const models = options.models ?? ['test-model', 'bank-vllm-70b'];
  const users = options.users ?? ['analyst-1', 'analyst-2', 'reviewer-1'];
  const spans = options.spansPerTrace ?? 3;
  const endUs = options.endUs ?? Date.now() * 1000;
  const spreadUs = (options.spreadDays ?? 30) * 86_400_000_000;
  const withContent = options.withContent ?? true;
  const ids: string[] = [];
  for (let t = 0; t < options.traces; t += 1) {
    const traceId = randomBytes(16).toString('hex');
    ids.push(traceId);
    const workflowId = workflows[t % workflows.length]!;
    const modelId = models[t % models.length]!;
    const startUs = Math.round(endUs - (spreadUs * t) / Math.max(1, options.traces));
    const failed = t % 10 === 9;
    const accountId = options.accountId;
    recorder.openTrace({ accountId, traceId, runId: null, workflowId, version: 'f'.repeat(64), modelId, userId: users[t % users.length]!, startUs });
    let cursor = startUs + 50;
    const rootId = spanIdFor(traceId, '');
    const sections = Math.max(1, Math.ceil(spans / 3));
    let written = 0;
    for (let s = 0; s < sections && written < spans; s += 1) {
      const sectionPath = `section_${s}`;
      const sectionStart = cursor;
      const children: Array<{ kind: SpanKind; name: string; path: string }> = [
        { kind: 'llm', name: 'draft', path: `${sectionPath}.draft` },
        { kind: 'tool', name: 'customer_lookup', path: `${sectionPath}.lookup` },
      ];
      written += 1;
      for (const child of children) {
        if (written >= spans) break;
        written += 1;
        const duration = child.kind === 'llm' ? 800 + ((t * 7 + s) % 50) * 40 : 20;
        recorder.record({
          accountId, traceId, spanId: spanIdFor(traceId, child.path), parentSpanId: spanIdFor(traceId, sectionPath), kind: child.kind, name: child.name, path: child.path,
          startUs: cursor, endUs: cursor + duration * 1000, durationMs: duration, status: 'ok', errorCode: null, errorMessage: null,
          attributes: child.kind === 'llm'
            ? { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': modelId, 'gen_ai.usage.input_tokens': 400 + s, 'gen_ai.usage.output_tokens': 120 + s, 'gen_ai.response.finish_reasons': ['stop'], 'strongroom.step.path': child.path }
            : { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': child.name, 'strongroom.step.path': child.path },
          ...(withContent ? { input: { messages: [{ role: 'user', content: `Draft section ${s} of trace ${t}` }] }, output: `Section ${s} text for trace ${t}.` } : {}),
        });
        cursor += duration * 1000;
      }
      recorder.record({
        accountId, traceId, spanId: spanIdFor(traceId, sectionPath), parentSpanId: rootId, kind: 'step', name: sectionPath, path: sectionPath,
        startUs: sectionStart, endUs: cursor, durationMs: (cursor - sectionStart) / 1000, status: 'ok', errorCode: null, errorMessage: null,
        attributes: { 'strongroom.step.kind': 'map', 'strongroom.step.path': sectionPath },
      });
    }
    recorder.record({
      accountId, traceId, spanId: rootId, parentSpanId: null, kind: 'workflow', name: workflowId, path: '',
      startUs, endUs: cursor + 100, durationMs: (cursor + 100 - startUs) / 1000, status: failed ? 'error' : 'ok', errorCode: failed ? 'ERR_WORKFLOW_STEP_FAILED' : null, errorMessage: null,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'strongroom.workflow.id': workflowId, 'strongroom.workflow.version': 'f'.repeat(64) },
    });
    recorder.closeTrace({ accountId, traceId, status: failed ? 'failed' : 'completed', endUs: cursor + 100 });
    if (t % 25 === 24) {
      recorder.flush();
      storage.db.prepare('UPDATE traces SET flagged = 1 WHERE trace_id = ?').run(traceId);
    }
  }
  recorder.dispose();
  return ids;
}
