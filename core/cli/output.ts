import type { ApiResult } from '../contracts/index.ts';

/** Where CLI commands write; injected so tests capture it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Text without a line break of its own (streamed output); `out` when absent. */
  write?(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  write: (text) => void process.stdout.write(text),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Exit code for a failed API call; the error is printed as JSON or as one readable line. */
export function reportFailure(io: CliIo, result: Extract<ApiResult<unknown>, { ok: false }>, json: boolean): number {
  if (json) io.out(JSON.stringify(result));
  else io.err(`error ${result.error.code}: ${result.error.message}`);
  return 1;
}
