import type { z } from 'zod';
import { toInputIssues } from '../../contracts/index.ts';
import type { InputIssue } from '../../contracts/index.ts';
import type { ChatMessage, Usage } from '../provider.ts';
import type { StreamedCompletion } from './streamChat.ts';

export type Validation<T> = { ok: true; value: T } | { ok: false; cause: 'not_json' | 'schema_mismatch'; issues: InputIssue[] };

/** Parses the text as JSON and validates it; issues name paths and rules, never the offending values. */
export function validateOutput<T>(schema: z.ZodType<T>, text: string): Validation<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, cause: 'not_json', issues: [{ path: '(root)', message: 'not complete JSON (the output may have hit the token limit)' }] };
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, cause: 'schema_mismatch', issues: toInputIssues(parsed.error) };
}

/** The conversation for the one repair attempt: the invalid reply and what is wrong with it. */
export function repairMessages(messages: readonly ChatMessage[], invalidText: string, issues: readonly InputIssue[]): ChatMessage[] {
  const problems = issues.map((issue) => `- ${issue.path}: ${issue.message}`).join('\n');
  return [
    ...messages,
    { role: 'assistant', content: invalidText },
    {
      role: 'user',
      content: `Your previous reply did not match the required JSON schema.\nProblems:\n${problems}\nReply again with only the corrected JSON value and nothing else.`,
    },
  ];
}

/**
 * A conservative token estimate for servers without `/tokenize`: UTF-8 bytes / 3, rounded up.
 * BPE vocabularies average about 4 bytes per token on English and fewer on other scripts and
 * numbers, so this over-counts on purpose: budgets built on it do not overflow a context.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3);
}

/**
 * Usage over the attempts of one call (one, or two with a repair). Token counts come from the
 * server's `usage`; a server that sends none is counted by token-carrying chunks (output) and by
 * `estimateTokens` (input).
 */
export function usageOf(completions: readonly StreamedCompletion[], startedAt: number, endedAt: number, inputEstimate: number): Usage {
  let inputTokens = 0;
  let cachedInputTokens = 0;
  let cacheReported = false;
  let outputTokens = 0;
  let generationMs = 0;
  let tokensAfterFirst = 0;
  for (const completion of completions) {
    const reported = completion.assembler.usage;
    const output = reported?.outputTokens ?? completion.assembler.tokenChunks;
    inputTokens += reported?.inputTokens ?? inputEstimate;
    if (reported?.cachedInputTokens !== undefined) {
      cacheReported = true;
      cachedInputTokens += reported.cachedInputTokens;
    }
    outputTokens += output;
    if (completion.firstTokenAt !== undefined) {
      generationMs += completion.endedAt - completion.firstTokenAt;
      tokensAfterFirst += Math.max(0, output - 1);
    }
  }
  const firstTokenAt = completions.find((completion) => completion.firstTokenAt !== undefined)?.firstTokenAt;
  const usage: Usage = {
    inputTokens,
    outputTokens,
    timeToFirstTokenMs: (firstTokenAt ?? endedAt) - startedAt,
    totalMs: endedAt - startedAt,
    tokensPerSecond: generationMs > 0 ? tokensAfterFirst / (generationMs / 1000) : 0,
  };
  // Only a server that reports its prompt cache (llama-server, vLLM) says how much was reused.
  if (cacheReported) usage.cachedInputTokens = cachedInputTokens;
  return usage;
}
