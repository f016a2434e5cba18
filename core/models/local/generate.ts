import { LlamaGrammarEvaluationState, isLlamaText } from 'node-llama-cpp';
import type { LlamaContextSequence, LlamaGrammar, Token } from 'node-llama-cpp';
import { CoreError, isCoreError } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import type { LoadedModel } from './LocalModelPool.ts';

export interface GenerationInput {
  loaded: LoadedModel;
  prompt: Token[];
  stopTokens: ReadonlySet<Token>;
  stopTexts: readonly string[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  grammar?: LlamaGrammar;
  signal?: AbortSignal;
  onDelta?: (text: string) => void;
  /** See ChatRequest.onQueue. */
  onQueue?: (ahead: number | null) => void;
  clock: Clock;
}

export interface GenerationOutput {
  text: string;
  finishReason: 'stop' | 'length';
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** Clock reading when generation began (after any model load and sequence wait). */
  startedAt: number;
  timeToFirstTokenMs: number;
  totalMs: number;
}

export function cancelled(modelId: string, outputTokens: number): CoreError {
  return new CoreError('ERR_MODEL_CANCELLED', `The request to model ${modelId} was cancelled.`, {
    details: { model: modelId, cause: 'aborted by the caller', outputTokens },
  });
}

/**
 * Generates with node-llama-cpp's low-level `sequence.evaluate()` loop rather than LlamaChat:
 * TOOLCHAIN.md measured the high-level API at a quarter of llama.cpp's speed, while this loop
 * matches it. It reuses the sequence's evaluated prompt prefix, streams text deltas (holding
 * back incomplete UTF-8 and possible stop-text prefixes), and stops on abort between tokens.
 */
export async function generate(input: GenerationInput): Promise<GenerationOutput> {
  const { loaded, prompt, clock, signal } = input;
  const modelId = loaded.spec.id;
  const started = clock.monotonic();
  if (isAborted(signal)) throw cancelled(modelId, 0);
  const contextSize = loaded.sequences.contextSize;
  if (prompt.length >= contextSize) {
    throw new CoreError('ERR_INPUT_INVALID', `The prompt does not fit the context of model ${modelId}.`, {
      details: { model: modelId, cause: 'prompt longer than the context', promptTokens: prompt.length, contextSize },
    });
  }
  const maxTokens = Math.max(1, Math.min(input.maxTokens ?? Number.POSITIVE_INFINITY, contextSize - prompt.length));

  let sequence: LlamaContextSequence;
  try {
    sequence = await loaded.sequences.acquire(prompt, signal, input.onQueue);
  } catch (error) {
    if (isAborted(signal)) throw cancelled(modelId, 0);
    throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${modelId} was unloaded while the request waited for it.`, { details: { model: modelId, cause: 'unloaded while queued' }, cause: error });
  }
  try {
    const cachedInputTokens = await reusePrefix(sequence, prompt);
    const stopTexts = [...input.stopTexts, ...grammarStops(input.grammar)];
    const grammarEvaluationState = input.grammar === undefined ? undefined : new LlamaGrammarEvaluationState({ model: loaded.model, grammar: input.grammar });
    const generated: Token[] = [];
    let text = '';
    let emitted = 0;
    let undecoded: Token[] = [];
    let firstTokenAt: number | undefined;
    let finishReason: 'stop' | 'length' = 'stop';
    let aborted = false;

    const iterator = sequence.evaluate(prompt.slice(cachedInputTokens), {
      temperature: input.temperature ?? 0,
      ...(input.topP === undefined ? {} : { topP: input.topP }),
      ...(input.seed === undefined ? {} : { seed: input.seed }),
      ...(grammarEvaluationState === undefined ? {} : { grammarEvaluationState }),
    });
    // Text is decoded as it comes only when someone listens or a stop text must be watched for;
    // otherwise once at the end (a detokenize call per token is a few percent of a small model's time).
    const incremental = input.onDelta !== undefined || stopTexts.length > 0;
    for await (const token of iterator) {
      firstTokenAt ??= clock.monotonic();
      if (input.stopTokens.has(token)) break;
      generated.push(token);
      if (incremental) {
        undecoded.push(token);
        const piece = loaded.model.detokenize(undecoded, false, generated.slice(Math.max(0, generated.length - undecoded.length - 8), generated.length - undecoded.length));
        // A byte token may carry part of a UTF-8 character; wait (briefly) for the rest.
        if (!piece.endsWith('\uFFFD') || undecoded.length >= 4) {
          text += piece;
          undecoded = [];
        }
        const stopAt = firstStop(text, stopTexts);
        if (stopAt !== undefined) {
          text = text.slice(0, stopAt);
          break;
        }
        const safe = text.length - heldBack(text, stopTexts);
        if (safe > emitted) {
          input.onDelta?.(text.slice(emitted, safe));
          emitted = safe;
        }
      }
      if (isAborted(signal)) {
        aborted = true;
        break;
      }
      if (generated.length >= maxTokens) {
        finishReason = 'length';
        break;
      }
    }
    if (aborted) throw cancelled(modelId, generated.length);
    if (!incremental) text = loaded.model.detokenize(generated, false);
    else if (undecoded.length > 0) text += loaded.model.detokenize(undecoded, false, generated.slice(0, generated.length - undecoded.length).slice(-8));
    // JSON grammars end in a run of newlines that only exists to stop generation.
    if (input.grammar?.trimWhitespaceSuffix === true) text = text.trimEnd();
    if (text.length > emitted) input.onDelta?.(text.slice(emitted));
    const finished = clock.monotonic();
    return {
      text,
      finishReason,
      inputTokens: prompt.length,
      cachedInputTokens,
      outputTokens: generated.length,
      startedAt: started,
      timeToFirstTokenMs: (firstTokenAt ?? finished) - started,
      totalMs: finished - started,
    };
  } catch (error) {
    if (isCoreError(error)) throw error;
    if (isAborted(signal)) throw cancelled(modelId, 0);
    throw new CoreError('ERR_MODEL_UNAVAILABLE', `Model ${modelId} failed while generating.`, { details: { model: modelId, cause: 'evaluation failed' }, cause: error });
  } finally {
    loaded.sequences.release(sequence);
  }
}

/**
 * Keeps the longest prefix of `prompt` the sequence has already evaluated and erases the rest.
 * At least one prompt token is always re-evaluated, because sampling needs fresh logits.
 */
async function reusePrefix(sequence: LlamaContextSequence, prompt: Token[]): Promise<number> {
  let shared = sequence.compareContextTokens(prompt).firstDifferentIndex;
  if (shared >= prompt.length) shared = prompt.length - 1;
  if (sequence.nextTokenIndex > shared) await sequence.eraseContextTokenRanges([{ start: shared, end: sequence.nextTokenIndex }]);
  return sequence.nextTokenIndex;
}

/** The grammar's own end markers (node-llama-cpp's JSON grammars end in four newlines). */
function grammarStops(grammar: LlamaGrammar | undefined): string[] {
  if (grammar === undefined) return [];
  return grammar.stopGenerationTriggers
    .map((trigger) => (typeof trigger === 'string' ? trigger : isLlamaText(trigger) ? trigger.toString() : trigger.filter((part) => typeof part === 'string').join('')))
    .filter((text) => text !== '');
}

/** A function, not an inline check, so TypeScript does not narrow `aborted` across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function firstStop(text: string, stops: readonly string[]): number | undefined {
  let first: number | undefined;
  for (const stop of stops) {
    const index = text.indexOf(stop);
    if (index >= 0 && (first === undefined || index < first)) first = index;
  }
  return first;
}

/** Length of the longest suffix of `text` that could still grow into a stop text. */
function heldBack(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
      if (text.endsWith(stop.slice(0, length))) {
        longest = length;
        break;
      }
    }
  }
  return longest;
}
