// The planner–executor agent step, driven by a scripted model that answers turn by turn: tools
// run with validated arguments, their results go back as `tool` messages, a schema-valid
// final_answer is the step's output, an invalid one earns one more turn, and the budget holds.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ChatMessage, ChatRequest, ChatResult, ModelProvider, ToolCall } from '../models/index.ts';
import { harness } from './testing/harness.ts';
import type { Harness } from './testing/harness.ts';
import type { Tool } from './tools.ts';

const open: Harness[] = [];
afterEach(async () => { for (const h of open.splice(0)) await h.core.dispose(); });

type Turn = (messages: readonly ChatMessage[]) => ToolCall[];

/** A model whose every turn a test scripts; it records a snapshot of each request. */
function scriptedModel(turns: readonly Turn[], seen: Array<{ messages: ChatMessage[]; tools: string[] }>): ModelProvider {
  return {
    id: 'scripted',
    kind: 'local',
    chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
      // Snapshot: the engine keeps appending to the same messages array after the call returns.
      seen.push({ messages: request.messages.map((m) => ({ ...m })), tools: (request.tools ?? []).map((t) => t.name) });
      const turn = turns[Math.min(seen.length, turns.length) - 1]!;
      const toolCalls = turn(request.messages);
      return Promise.resolve({ text: '', toolCalls, finishReason: 'tool_calls', model: 'scripted', usage: { inputTokens: 1, outputTokens: 1, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 } });
    },
    embed: () => Promise.resolve({ vectors: [], inputTokens: 0 }),
    countTokens: (text) => Promise.resolve(text.length),
    health: () => Promise.resolve({ status: 'ok' }),
    dispose: () => Promise.resolve(),
  };
}

function multiplyTool(received: unknown[]): Tool {
  const tool: Tool<{ a: number; b: number }, { product: number }> = {
    name: 'multiply',
    description: 'Multiplies two numbers.',
    input: z.object({ a: z.number(), b: z.number() }).strict(),
    output: z.object({ product: z.number() }),
    sideEffects: false,
    call: (input) => {
      received.push(input);
      return Promise.resolve({ product: input.a * input.b });
    },
  };
  return tool;
}

const workflow = (maxSteps: number) => `id: solve
name: Solve with a tool
inputs: {type: object, properties: {a: {type: number}, b: {type: number}}, required: [a, b]}
steps:
  - id: solve
    kind: agent
    goal: "Multiply {{ inputs.a }} by {{ inputs.b }}"
    tools: [multiply]
    maxSteps: ${maxSteps}
    output: {type: object, properties: {answer: {type: number}}, required: [answer], additionalProperties: false}
`;

const call = (id: string, name: string, args: unknown): ToolCall => ({ id, name, arguments: args });
const toolMessages = (messages: readonly ChatMessage[]) => messages.filter((m) => m.role === 'tool');

async function runAgent(turns: readonly Turn[], maxSteps = 6) {
  const seen: Array<{ messages: ChatMessage[]; tools: string[] }> = [];
  const received: unknown[] = [];
  const h = await harness({ workflows: { solve: workflow(maxSteps) }, model: scriptedModel(turns, seen), tools: [multiplyTool(received)] });
  open.push(h);
  const run = await h.settle((await h.call('runs.start', { workflowId: 'solve', input: { a: 6, b: 7 } })).id);
  return { run, seen, received };
}

describe('agent step (planner–executor)', () => {
  it('calls the tool with validated arguments, feeds the result back, and returns the final answer', async () => {
    const { run, seen, received } = await runAgent([
      () => [call('c1', 'multiply', { a: 'six', b: 7 })],
      () => [call('c2', 'multiply', { a: 6, b: 7 })],
      (messages) => [call('c3', 'final_answer', { answer: (JSON.parse(toolMessages(messages).at(-1)!.content) as { product: number }).product })],
    ]);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ answer: 42 });
    // Invalid arguments never reach the tool; valid ones arrive parsed.
    expect(received).toEqual([{ a: 6, b: 7 }]);
    expect(seen).toHaveLength(3);
    expect(seen[0]!.tools).toEqual(['multiply', 'final_answer']);
    expect(seen[0]!.messages.at(-1)).toEqual({ role: 'user', content: 'Multiply 6 by 7' });
    // Turn 2 sees turn 1's call and the validation error as its tool result.
    expect(seen[1]!.messages.at(-2)).toMatchObject({ role: 'assistant', toolCalls: [{ id: 'c1', name: 'multiply' }] });
    expect(seen[1]!.messages.at(-1)).toMatchObject({ role: 'tool', toolCallId: 'c1', content: expect.stringContaining('arguments for multiply are invalid') as unknown });
    // Turn 3 sees the tool's result as a tool message answering call c2.
    expect(seen[2]!.messages.at(-1)).toEqual({ role: 'tool', toolCallId: 'c2', content: JSON.stringify({ product: 42 }) });
    // Each turn and each tool call is checkpointed under the step's path.
    expect(run.steps.map((s) => s.path)).toEqual(expect.arrayContaining(['solve#1', 'solve#2', 'solve#2.multiply', 'solve#3', 'solve']));
    expect(run.steps.find((s) => s.path === 'solve#2.multiply')?.output).toEqual({ product: 42 });
  });

  it('checkpoints and traces two calls of the same tool in one turn separately', async () => {
    const { run, received } = await runAgent([
      () => [call('d1', 'multiply', { a: 2, b: 3 }), call('d2', 'multiply', { a: 6, b: 7 })],
      (messages) => [call('d3', 'final_answer', { answer: (JSON.parse(toolMessages(messages).at(-1)!.content) as { product: number }).product })],
    ]);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ answer: 42 });
    expect(received).toEqual([{ a: 2, b: 3 }, { a: 6, b: 7 }]);
    expect(run.steps.find((s) => s.path === 'solve#1.multiply')?.output).toEqual({ product: 6 });
    expect(run.steps.find((s) => s.path === 'solve#1.multiply~2')?.output).toEqual({ product: 42 });
    const h = open.at(-1)!;
    const { spans } = await h.call('traces.get', { traceId: run.traceId });
    const tools = spans.filter((s) => s.kind === 'tool').map((s) => s.path).sort();
    expect(tools).toEqual(['solve#1.multiply', 'solve#1.multiply~2']);
    const turn = spans.find((s) => s.path === 'solve#1')!;
    expect(spans.filter((s) => s.kind === 'tool').every((s) => s.parentSpanId === turn.spanId)).toBe(true);
  });

  it('gives an invalid final answer one more turn with the schema problems', async () => {
    const { run, seen } = await runAgent([
      () => [call('f1', 'final_answer', { answer: 'forty-two' })],
      () => [call('f2', 'final_answer', { answer: 42 })],
    ]);
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ answer: 42 });
    expect(seen).toHaveLength(2);
    const feedback = seen[1]!.messages.at(-1)!;
    expect(feedback).toMatchObject({ role: 'tool', toolCallId: 'f1' });
    expect(JSON.parse(feedback.content)).toMatchObject({ error: 'does not match the answer schema', issues: [expect.stringContaining('answer') as unknown] });
  });

  it('fails with ERR_WORKFLOW_STEP_FAILED when the model never answers within the step budget', async () => {
    const { run, seen, received } = await runAgent([(messages) => [call(`loop-${messages.length}`, 'multiply', { a: 1, b: 1 })]], 3);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'ERR_WORKFLOW_STEP_FAILED' });
    // The budget reason (details.reason = 'budget') is not kept on the run record; the message states it.
    expect(run.errorMessage).toMatch(/did not reach a final answer within 3 steps/);
    expect(seen).toHaveLength(3);
    expect(received).toHaveLength(3);
    // The agent step is on the record as where the run failed (its turns as they went).
    expect(run.steps.find((s) => s.path === 'solve')).toMatchObject({ status: 'failed', output: { error: { code: 'ERR_WORKFLOW_STEP_FAILED' } } });
  });
});
