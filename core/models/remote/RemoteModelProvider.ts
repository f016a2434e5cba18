import { z } from 'zod';
import { CoreError, isCoreError, systemClock } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import type { ChatResult, EmbeddingResult, ModelHealth, ModelProvider } from '../provider.ts';
import type { Attempt } from './call.ts';
import { planChat } from './chatPlan.ts';
import type { RemoteChatRequest, ToolCalling } from './chatPlan.ts';
import { chatBody } from './chatProtocol.ts';
import { modelError } from './errors.ts';
import type { RemoteEndpointOptions } from './options.ts';
import { RemoteEndpoint } from './RemoteEndpoint.ts';
import { streamChat } from './streamChat.ts';
import { estimateTokens, repairMessages, usageOf } from './structuredOutput.ts';

export interface RemoteModelProviderOptions {
  /** The manifest id, named in every error. */
  id: string;
  /** The model name the server knows (the `model` field of requests). */
  model: string;
  /** A shared endpoint (one breaker and concurrency limit for all its models), or options for a private one. */
  endpoint: RemoteEndpoint | RemoteEndpointOptions;
  /**
   * `native` (default) sends OpenAI `tools`; `json-schema` asks for a tool-call envelope through
   * `response_format`, for servers or chat templates without a tool-call parser.
   */
  toolCalling?: ToolCalling;
  clock?: Clock;
}

/** How `countTokens` counts: the server's tokenizer, or `estimateTokens` where the server has none. */
export type TokenCounting = 'unknown' | 'exact' | 'estimate';

const ModelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });
const EmbeddingsSchema = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative().optional(), embedding: z.array(z.number()) })),
  usage: z.object({ prompt_tokens: z.number() }).nullish(),
});
const TokenizeSchema = z.union([z.object({ count: z.number() }), z.object({ tokens: z.array(z.unknown()) })]);

/**
 * A model served over the OpenAI-compatible HTTP API (vLLM, TGI, Ollama, llama-server): streamed
 * chat with tool calls and schema-constrained output, embeddings, token counting and health.
 */
export class RemoteModelProvider implements ModelProvider {
  readonly id: string;
  readonly kind = 'remote' as const;
  readonly endpoint: RemoteEndpoint;
  private readonly model: string;
  private readonly clock: Clock;
  private readonly ownsEndpoint: boolean;
  private readonly toolCalling: ToolCalling;
  private readonly lifetime = new AbortController();
  private counting: TokenCounting = 'unknown';

  constructor(options: RemoteModelProviderOptions) {
    this.id = options.id;
    this.model = options.model;
    this.clock = options.clock ?? options.endpoint.clock ?? systemClock;
    this.ownsEndpoint = !(options.endpoint instanceof RemoteEndpoint);
    this.toolCalling = options.toolCalling ?? 'native';
    this.endpoint = options.endpoint instanceof RemoteEndpoint ? options.endpoint : new RemoteEndpoint(options.endpoint);
  }

  /** Whether `countTokens` is exact or an estimate (`unknown` until the first count or health check). */
  get tokenCounting(): TokenCounting {
    return this.counting;
  }

  async chat<T = unknown>(request: RemoteChatRequest<T>): Promise<ChatResult<T>> {
    const subject = { model: this.id, host: this.endpoint.host };
    const plan = planChat(request, this.toolCalling, subject);
    const { streamUsage } = this.endpoint.options;
    const inputEstimate = estimateTokens(plan.messages.map((message) => message.content).join('\n'));
    return this.endpoint.run(this.id, this.signal(request.signal), async (call) => {
      const startedAt = this.clock.monotonic();
      const onDelta = plan.streamDeltas ? request.onDelta : undefined;
      let completion = await streamChat(this.endpoint, this.clock, call, chatBody(this.model, request, plan, streamUsage), onDelta);
      const completions = [completion];
      let answer = plan.interpret(completion);
      if (!answer.ok) {
        // One repair attempt; its text is not streamed to onDelta (the result's text is authoritative).
        const messages = repairMessages(plan.messages, completion.assembler.text, answer.issues);
        completion = await streamChat(this.endpoint, this.clock, call, chatBody(this.model, request, { ...plan, messages }, streamUsage), undefined);
        completions.push(completion);
        answer = plan.interpret(completion);
        if (!answer.ok) throw modelError('ERR_MODEL_OUTPUT_INVALID', subject, answer.cause, { details: { issues: answer.issues, attempts: 2 } });
      }
      const result: ChatResult<T> = {
        text: answer.text,
        toolCalls: answer.calls,
        finishReason: completion.assembler.finish(answer.calls.length > 0),
        usage: usageOf(completions, startedAt, this.clock.monotonic(), inputEstimate),
        model: completion.assembler.model ?? this.model,
      };
      if (answer.value !== undefined) result.value = answer.value;
      return result;
    });
  }

  async embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbeddingResult> {
    if (texts.length === 0) return { vectors: [], inputTokens: 0 };
    return this.endpoint.run(this.id, this.signal(options?.signal), (call) =>
      this.endpoint.send(call, async (attempt) => {
        const body = { model: this.model, input: texts, encoding_format: 'float' };
        const parsed = EmbeddingsSchema.safeParse(await this.json(attempt, 'embeddings', body));
        if (!parsed.success || parsed.data.data.length !== texts.length) {
          throw modelError('ERR_MODEL_STREAM_MALFORMED', attempt.call.subject, 'unexpected_embeddings_response');
        }
        const ordered = parsed.data.data.map((item, position) => ({ index: item.index ?? position, vector: item.embedding })).sort((a, b) => a.index - b.index);
        return {
          vectors: ordered.map((item) => item.vector),
          inputTokens: parsed.data.usage?.prompt_tokens ?? texts.reduce((sum, text) => sum + estimateTokens(text), 0),
        };
      }),
    );
  }

  /** Exact via the server's `/tokenize` (llama-server, vLLM) when it has one; otherwise `estimateTokens`. */
  async countTokens(text: string): Promise<number> {
    if (this.counting !== 'estimate') {
      try {
        const count = await this.endpoint.run(this.id, this.lifetime.signal, (call) => this.endpoint.send(call, (attempt) => this.tokenize(attempt, text)));
        this.counting = 'exact';
        return count;
      } catch (error) {
        if (!isNoTokenizer(error)) throw error;
        this.counting = 'estimate';
      }
    }
    return estimateTokens(text);
  }

  /** `GET /v1/models` once, without retries, the breaker or the queue, so it shows the endpoint as it is. */
  async health(options?: { signal?: AbortSignal }): Promise<ModelHealth> {
    const startedAt = this.clock.monotonic();
    try {
      const ids = await this.endpoint.run(
        this.id,
        this.signal(options?.signal),
        (call) =>
          this.endpoint.sendOnce(call, async (attempt) => {
            const parsed = ModelListSchema.safeParse(await this.json(attempt, 'models', undefined));
            if (!parsed.success) throw modelError('ERR_MODEL_STREAM_MALFORMED', attempt.call.subject, 'unexpected_models_response');
            if (this.counting === 'unknown') await this.probeTokenizer(attempt);
            return parsed.data.data.map((model) => model.id);
          }),
        this.endpoint.options.timeouts.healthMs,
      );
      const latencyMs = this.clock.monotonic() - startedAt;
      const counting = this.counting === 'exact' ? 'token counting exact (/tokenize)' : 'token counting estimated (no /tokenize: UTF-8 bytes / 3)';
      const circuit = this.endpoint.circuitStatus;
      if (!ids.includes(this.model)) {
        return { status: 'degraded', detail: `reachable, but ${this.model} is not among the ${ids.length} model(s) it lists; ${counting}`, latencyMs };
      }
      if (circuit !== 'closed') return { status: 'degraded', detail: `reachable, circuit ${circuit} after repeated failures; ${counting}`, latencyMs };
      return { status: 'ok', detail: `serves ${this.model}; ${counting}`, latencyMs };
    } catch (error) {
      if (isCoreError(error) && error.code === 'ERR_MODEL_CANCELLED') throw error;
      const cause = error instanceof CoreError ? error.details?.cause : undefined;
      const detail = error instanceof CoreError ? `${error.code}: ${typeof cause === 'string' ? cause : error.message}` : 'unexpected failure';
      return { status: 'failed', detail, latencyMs: this.clock.monotonic() - startedAt };
    }
  }

  /** Cancels this provider's calls in flight; a private endpoint is closed with it. */
  async dispose(): Promise<void> {
    this.lifetime.abort();
    if (this.ownsEndpoint) await this.endpoint.dispose();
  }

  private signal(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.lifetime.signal : AbortSignal.any([signal, this.lifetime.signal]);
  }

  private async json(attempt: Attempt, path: string, body: unknown): Promise<unknown> {
    const response = await this.endpoint.fetch(attempt, path, body === undefined ? { method: 'GET' } : { method: 'POST', body });
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of this.endpoint.read(attempt, response)) text += decoder.decode(chunk, { stream: true });
    text += decoder.decode();
    try {
      return JSON.parse(text);
    } catch (error) {
      throw modelError('ERR_MODEL_STREAM_MALFORMED', attempt.call.subject, 'invalid_json', { error });
    }
  }

  private async tokenize(attempt: Attempt, text: string): Promise<number> {
    // `/tokenize` sits beside `/v1`, not under it. `content` is llama-server's field, `prompt` vLLM's.
    const path = this.endpoint.baseUrl.pathname.endsWith('/v1/') ? '../tokenize' : 'tokenize';
    const parsed = TokenizeSchema.safeParse(await this.json(attempt, path, { model: this.model, content: text, prompt: text }));
    if (!parsed.success) throw modelError('ERR_MODEL_UNSUPPORTED', attempt.call.subject, 'unexpected_tokenize_response');
    return 'count' in parsed.data ? parsed.data.count : parsed.data.tokens.length;
  }

  private async probeTokenizer(attempt: Attempt): Promise<void> {
    try {
      await this.tokenize(attempt, 'health');
      this.counting = 'exact';
    } catch (error) {
      if (!isNoTokenizer(error)) throw error;
      this.counting = 'estimate';
    }
  }
}

function isNoTokenizer(error: unknown): boolean {
  return isCoreError(error) && (error.code === 'ERR_MODEL_NOT_FOUND' || error.code === 'ERR_MODEL_UNSUPPORTED');
}
