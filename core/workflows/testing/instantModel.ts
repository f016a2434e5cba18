import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ChatRequest, ChatResult, ModelProvider } from '../../models/index.ts';

/** Builds the smallest value that satisfies a JSON Schema, deterministic for a seed. */
export function sampleFromSchema(schema: Record<string, unknown>, seed: string): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const anyOf = (schema.anyOf ?? schema.oneOf) as Array<Record<string, unknown>> | undefined;
  if (anyOf?.[0]) return sampleFromSchema(anyOf[0], seed);
  const declared: unknown = schema.type;
  const type: unknown = Array.isArray(declared) ? (declared as unknown[])[0] : declared;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const required = new Set((schema.required as string[] | undefined) ?? Object.keys(properties));
      return Object.fromEntries(Object.entries(properties).filter(([key]) => required.has(key)).map(([key, sub]) => [key, sampleFromSchema(sub, `${seed}.${key}`)]));
    }
    case 'array': {
      const count = Math.max(Number(schema.minItems ?? 1), 1);
      return Array.from({ length: count }, (_, i) => sampleFromSchema((schema.items ?? {}) as Record<string, unknown>, `${seed}[${i}]`));
    }
    case 'integer':
    case 'number':
      return Number(schema.minimum ?? schema.exclusiveMinimum ?? 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const text = `t-${createHash('sha256').update(seed).digest('hex').slice(0, 12)}`;
      const min = Number(schema.minLength ?? 0);
      const max = Number(schema.maxLength ?? 10_000);
      return text.padEnd(min, 'x').slice(0, max);
    }
  }
}

export interface InstantModelOptions {
  id?: string;
  /** Milliseconds each call takes (to let tests interrupt runs mid-step). */
  delayMs?: number;
  /** Records every request (tests inspect prompts). */
  calls?: ChatRequest[];
}

/**
 * A model that answers instantly and deterministically: schema-valid values derived from the
 * prompt's hash, or an echo of its hash. Content-free on purpose — the engine's behaviour, not the
 * text, is under test — and the baseline for measuring engine overhead.
 */
export function instantModel(options: InstantModelOptions = {}): ModelProvider {
  const id = options.id ?? 'instant';
  return {
    id,
    kind: 'local',
    async chat<T>(request: ChatRequest<T>): Promise<ChatResult<T>> {
      options.calls?.push(request);
      if (options.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, options.delayMs);
          request.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(request.signal?.reason instanceof Error ? request.signal.reason : new Error('aborted')); }, { once: true });
        });
      }
      request.signal?.throwIfAborted();
      const seed = request.messages.map((m) => m.content).join('\n');
      const value = request.output ? (sampleFromSchema(z.toJSONSchema(request.output), seed) as T) : undefined;
      const text = value === undefined ? `echo-${createHash('sha256').update(seed).digest('hex').slice(0, 16)}` : JSON.stringify(value);
      request.onDelta?.(text);
      return { text, ...(value === undefined ? {} : { value }), toolCalls: [], finishReason: 'stop', model: id, usage: { inputTokens: seed.length, outputTokens: text.length, timeToFirstTokenMs: 0, totalMs: 0, tokensPerSecond: 0 } };
    },
    embed: (texts) => Promise.resolve({ vectors: texts.map(() => [0, 1]), inputTokens: 0 }),
    countTokens: (text) => Promise.resolve(text.length),
    health: () => Promise.resolve({ status: 'ok' }),
    dispose: () => Promise.resolve(),
  };
}
