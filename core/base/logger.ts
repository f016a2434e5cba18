import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createStream } from 'rotating-file-stream';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Logs go to `<dataDir>/logs/strongroom.log`, rotated by size. Omit for no file. */
  dataDir?: string;
  /** Also write to stderr (serve mode and the CLI). */
  stderr?: boolean;
  level?: pino.LevelWithSilent;
}

/**
 * Field names whose values never reach a log line. Log calls pass ids and codes only; this list
 * is the safety net for a mistake, not the policy.
 */
export const redactedPaths = [
  'token',
  'authorization',
  'password',
  'passphrase',
  'secret',
  'apiKey',
  'content',
  'input',
  'output',
  '*.token',
  '*.authorization',
  '*.password',
  '*.passphrase',
  '*.secret',
  '*.apiKey',
  '*.content',
  '*.input',
  '*.output',
  'headers.authorization',
  'req.headers.authorization',
];

/**
 * Structured JSON logs with pino (fast, well kept, built-in redaction) into a size-rotated file
 * (rotating-file-stream), plus stderr when asked.
 */
export function createLogger(options: LoggerOptions): { logger: Logger; close: () => Promise<void> } {
  const streams: pino.StreamEntry[] = [];
  let file: ReturnType<typeof createStream> | undefined;
  if (options.dataDir) {
    const dir = join(options.dataDir, 'logs');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    file = createStream('strongroom.log', { path: dir, size: '10M', maxFiles: 10, mode: 0o600 });
    streams.push({ stream: file });
  }
  if (options.stderr) streams.push({ stream: process.stderr });
  const logger = pino(
    {
      level: options.level ?? process.env.STRONGROOM_LOG_LEVEL ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    pino.multistream(streams),
  );
  if (streams.length === 0) logger.level = 'silent';
  return {
    logger,
    close: () =>
      new Promise<void>((resolve) => {
        if (!file) return resolve();
        file.end(() => resolve());
      }),
  };
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
