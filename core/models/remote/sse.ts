import { createParser } from 'eventsource-parser';
import type { ParseError } from 'eventsource-parser';

/** The stream is not the server-sent events an OpenAI-compatible server sends. */
export class StreamFormatError extends Error {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Malformed event stream: ${reason}`, options);
    this.name = 'StreamFormatError';
    this.reason = reason;
  }
}

/** A chat stream event never comes near this; a server that buffers without newlines is broken. */
const maxBufferSize = 8 * 1024 * 1024;

/**
 * The `data` of each server-sent event, parsed by eventsource-parser. Lines that are not SSE
 * fields (a proxy's HTML page, raw JSON without `data:`) make the stream malformed instead of
 * being silently skipped, as a browser EventSource would.
 */
export async function* sseData(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const pending: string[] = [];
  let failure: ParseError | undefined;
  const parser = createParser({
    maxBufferSize,
    onEvent: (event) => {
      pending.push(event.data);
    },
    onError: (error) => {
      failure ??= error;
    },
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const feed = (text: string): void => {
    parser.feed(text);
    if (failure !== undefined) throw new StreamFormatError(failure.type === 'unknown-field' ? 'invalid_sse_line' : failure.type, { cause: failure });
  };
  const decode = (chunk?: Uint8Array): string => {
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (error) {
      throw new StreamFormatError('invalid_utf8', { cause: error });
    }
  };
  for await (const chunk of chunks) {
    feed(decode(chunk));
    yield* pending.splice(0);
  }
  feed(decode());
  // A last event without its blank line still counts; an unterminated junk line is reported.
  parser.reset({ consume: true });
  if (failure !== undefined) throw new StreamFormatError('invalid_sse_line', { cause: failure });
  yield* pending.splice(0);
}
