import { randomUUID } from 'node:crypto';
import { CoreError, systemClock } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import type { ChatMessage, ChatRequest, ChatResult, EmbeddingResult, ModelHealth, ModelProvider, ToolCall, Usage } from '../provider.ts';
import { renderChat, toolInstructionsFor } from './chatPrompt.ts';
import { cancelled, generate } from './generate.ts';
import type { GenerationOutput } from './generate.ts';
import { LocalModelPool } from './LocalModelPool.ts';
import type { LocalModelPoolOptions, LocalModelSpec, ModelLease } from './LocalModelPool.ts';
import { parseOutput, planOutput, repairMessage } from './structuredOutput.ts';

export interface LocalModelProviderOptions {
  /** The shared pool; when omitted the provider gets a private one and disposes it with itself. */
  pool?: LocalModelPool;
  /** Registered with the pool when given; otherwise the pool must already know `id`. */
  spec?: LocalModelSpec;
  /** Used when the provider creates its own pool. */
  poolOptions?: LocalModelPoolOptions;
  clock?: Clock;
  /** Ids for tool calls; injected so tests can predict them. */
  createId?: () => string;
}

/**
 * A local GGUF model behind the provider-neutral ModelProvider interface. Loading, budgets and
 * sequences live in LocalModelPool; this class turns requests into prompts, runs generation with
 * prefix reuse, enforces structured output (grammar + zod + one repair) and reports usage.
 */
export class LocalModelProvider implements ModelProvider {
  readonly id: string;
  readonly kind = 'local' as const;
  private readonly pool: LocalModelPool;
  private readonly ownsPool: boolean;
  private readonly clock: Clock;
  private readonly createId: () => string;

  constructor(id: string, options: LocalModelProviderOptions = {}) {
    this.id = id;
    this.ownsPool = options.pool === undefined;
    this.pool = options.pool ?? new LocalModelPool(options.poolOptions);
    if (options.spec !== undefined) this.pool.register({ ...options.spec, id });
    this.clock = options.clock ?? options.poolOptions?.clock ?? systemClock;
    this.createId = options.createId ?? (() => `call_${randomUUID()}`);
  }

  async chat<T = unknown>(request: ChatRequest<T>): Promise<ChatResult<T>> {
    if (request.messages.length === 0) {
      throw new CoreError('ERR_INPUT_INVALID', 'A chat request needs at least one message.', { details: { model: this.id, cause: 'no messages' } });
    }
    if (request.signal?.aborted === true) throw cancelled(this.id, 0);
    const started = this.clock.monotonic();
    const plan = planOutput(this.id, request.output, request.tools, request.toolChoice);
    const lease = await this.pool.acquire(this.id);
    try {
      const grammar = plan.grammarSchema === undefined ? undefined : await lease.loaded.grammarFor(plan.grammarSchema);
      const toolInstructions = plan.tools.length > 0 ? toolInstructionsFor(plan.tools, plan.toolChoice) : undefined;
      // Deltas are the answer's text: plain text or the output JSON of the first attempt. A tool
      // envelope is not the answer's text, and a repair would repeat it, so neither streams.
      const streamTo = plan.tools.length === 0 ? request.onDelta : undefined;
      const run = (messages: readonly ChatMessage[], seed: number | undefined, onDelta: ((text: string) => void) | undefined): Promise<GenerationOutput> => {
        const rendered = renderChat(lease.loaded, messages, toolInstructions);
        return generate({
          loaded: lease.loaded,
          prompt: rendered.tokens,
          stopTokens: rendered.stopTokens,
          stopTexts: [...rendered.stopTexts, ...(request.stop ?? [])],
          ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
          ...(request.topP === undefined ? {} : { topP: request.topP }),
          ...(seed === undefined ? {} : { seed }),
          ...(grammar === undefined ? {} : { grammar }),
          ...(request.signal === undefined ? {} : { signal: request.signal }),
          ...(onDelta === undefined ? {} : { onDelta }),
          ...(request.onQueue === undefined ? {} : { onQueue: request.onQueue }),
          clock: this.clock,
        });
      };

      const first = await run(request.messages, request.seed, streamTo);
      let parsed = parseOutput(plan, first.text);
      const attempts = [first];
      if (!parsed.ok) {
        // One repair attempt: show the model its answer and what was wrong with it, by path.
        const repair = await run(
          [...request.messages, { role: 'assistant', content: first.text }, { role: 'user', content: repairMessage(parsed.issues) }],
          request.seed === undefined ? undefined : request.seed + 1,
          undefined,
        );
        attempts.push(repair);
        parsed = parseOutput(plan, repair.text);
        if (!parsed.ok) {
          throw new CoreError('ERR_MODEL_OUTPUT_INVALID', `Model ${this.id} did not produce output matching the schema, even after a repair attempt.`, {
            details: { model: this.id, cause: 'schema validation failed twice', issues: parsed.issues.slice(0, 10), attempts: 2 },
          });
        }
      }
      const last = attempts[attempts.length - 1] ?? first;
      const toolCalls: ToolCall[] = parsed.calls.map((call) => ({ id: this.createId(), name: call.name, arguments: call.arguments }));
      const result: ChatResult<T> = {
        text: parsed.text,
        toolCalls,
        finishReason: toolCalls.length > 0 ? 'tool_calls' : last.finishReason,
        usage: this.usage(attempts, started),
        model: this.id,
      };
      if (request.output !== undefined && toolCalls.length === 0) result.value = parsed.value as T;
      return result;
    } finally {
      lease.release();
    }
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<EmbeddingResult> {
    const lease = await this.pool.acquire(this.id);
    try {
      const context = await lease.loaded.embeddingContext();
      const vectors: number[][] = [];
      let inputTokens = 0;
      for (const text of texts) {
        if (options.signal?.aborted === true) throw cancelled(this.id, 0);
        inputTokens += lease.loaded.model.tokenize(text).length;
        const embedding = await context.getEmbeddingFor(text);
        vectors.push([...embedding.vector]);
      }
      return { vectors, inputTokens };
    } finally {
      lease.release();
    }
  }

  async countTokens(text: string): Promise<number> {
    return this.withLease((lease) => lease.loaded.model.tokenize(text).length);
  }

  /** Checks file, checksum and architecture by loading (lazily, once); never generates. */
  async health(options: { signal?: AbortSignal } = {}): Promise<ModelHealth> {
    const started = this.clock.monotonic();
    if (options.signal?.aborted === true) return { status: 'failed', detail: 'ERR_MODEL_CANCELLED' };
    try {
      await this.withLease(() => undefined);
      return { status: 'ok', latencyMs: this.clock.monotonic() - started };
    } catch (error) {
      // "CODE: cause", as the remote provider reports it: the cause names what is wrong, never content.
      const code = error instanceof CoreError ? error.code : 'ERR_MODEL_UNAVAILABLE';
      const cause = error instanceof CoreError && typeof error.details?.cause === 'string' ? error.details.cause : undefined;
      return { status: 'failed', detail: cause ? `${code}: ${cause}` : code, latencyMs: this.clock.monotonic() - started };
    }
  }

  async dispose(): Promise<void> {
    if (this.ownsPool) await this.pool.dispose();
    else await this.pool.unload(this.id);
  }

  private async withLease<R>(work: (lease: ModelLease) => R | Promise<R>): Promise<R> {
    const lease = await this.pool.acquire(this.id);
    try {
      return await work(lease);
    } finally {
      lease.release();
    }
  }

  private usage(attempts: readonly GenerationOutput[], started: number): Usage {
    const totalMs = this.clock.monotonic() - started;
    const first = attempts[0];
    const inputTokens = attempts.reduce((sum, attempt) => sum + attempt.inputTokens, 0);
    const cachedInputTokens = attempts.reduce((sum, attempt) => sum + attempt.cachedInputTokens, 0);
    const outputTokens = attempts.reduce((sum, attempt) => sum + attempt.outputTokens, 0);
    const generatingMs = attempts.reduce((sum, attempt) => sum + (attempt.totalMs - attempt.timeToFirstTokenMs), 0);
    const afterFirst = attempts.reduce((sum, attempt) => sum + Math.max(0, attempt.outputTokens - 1), 0);
    return {
      inputTokens,
      cachedInputTokens,
      outputTokens,
      // From the request, so a lazy load or a wait for a free sequence counts, as a caller sees it.
      timeToFirstTokenMs: first === undefined ? totalMs : first.startedAt - started + first.timeToFirstTokenMs,
      totalMs,
      tokensPerSecond: generatingMs > 0 ? (afterFirst * 1000) / generatingMs : 0,
    };
  }
}
