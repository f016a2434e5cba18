import type { CliIo } from './output.ts';

/** A CLI's output for tests: what a command printed to stdout and stderr, line by line. */
export function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}
