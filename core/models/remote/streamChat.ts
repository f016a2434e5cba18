import type { Clock } from '../../base/index.ts';
import type { Attempt, Call } from './call.ts';
import { ChatAssembler, parseChunk } from './chatProtocol.ts';
import { modelError } from './errors.ts';
import type { RemoteEndpoint } from './RemoteEndpoint.ts';
import { sseData, StreamFormatError } from './sse.ts';

/** One streamed completion, with the monotonic times usage is computed from. */
export interface StreamedCompletion {
  assembler: ChatAssembler;
  firstTokenAt: number | undefined;
  endedAt: number;
}

/**
 * One `POST chat/completions` exchange with retries (before any text reached the caller), the
 * breaker and the concurrency limit. `onDelta` receives text as it arrives.
 */
export async function streamChat(
  endpoint: RemoteEndpoint,
  clock: Clock,
  call: Call,
  body: Record<string, unknown>,
  onDelta: ((text: string) => void) | undefined,
): Promise<StreamedCompletion> {
  return endpoint.send(call, async (attempt) => {
    const response = await endpoint.fetch(attempt, 'chat/completions', { method: 'POST', body, stream: true });
    const contentType = response.headers.get('content-type') ?? '';
    if (!contentType.toLowerCase().includes('text/event-stream')) {
      await response.body?.cancel().catch(() => undefined);
      throw malformed(attempt, 'not_event_stream', undefined, { contentType: contentType.split(';')[0] });
    }
    const assembler = new ChatAssembler();
    let firstTokenAt: number | undefined;
    let done = false;
    try {
      for await (const data of sseData(endpoint.read(attempt, response))) {
        if (data.trim() === '[DONE]') {
          done = true;
          break;
        }
        const chunk = parseChunk(data);
        if (chunk.error !== undefined) {
          // Servers report failures mid-stream (vLLM, llama-server); the message may echo input, the type does not.
          throw modelError('ERR_MODEL_UNAVAILABLE', call.subject, 'server_error_in_stream', {
            details: { errorType: chunk.error.type ?? String(chunk.error.code ?? 'unknown') },
            retryable: !call.outputDelivered,
          });
        }
        const { text, token } = assembler.apply(chunk);
        if (token && firstTokenAt === undefined) {
          firstTokenAt = clock.monotonic();
          attempt.markFirstToken();
        }
        if (text !== '' && onDelta !== undefined) {
          call.outputDelivered = true;
          onDelta(text);
        }
      }
    } catch (error) {
      if (error instanceof StreamFormatError) throw malformed(attempt, error.reason, error);
      throw error;
    }
    // A stream that ends cleanly without `[DONE]` or a finish reason was cut short by something.
    if (!done && assembler.finishReason === undefined) throw malformed(attempt, 'ended_without_finish');
    return { assembler, firstTokenAt, endedAt: clock.monotonic() };
  });
}

function malformed(attempt: Attempt, reason: string, error?: unknown, details: Record<string, unknown> = {}): Error {
  return modelError('ERR_MODEL_STREAM_MALFORMED', attempt.call.subject, reason, {
    details: { ...details, afterOutput: attempt.call.outputDelivered },
    error,
  });
}
