import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { buildInfo, defaultDataDir } from '../base/index.ts';
import { infoCommand } from './commands/info.ts';
import { serveCommand } from './commands/serve.ts';
import type { CliIo } from './output.ts';
import { processIo } from './output.ts';

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return port;
}

/**
 * Builds the `strongroom` command tree (commander: well kept, gives help, errors and options
 * parsing for free). Each command's work lives in commands/; this file only wires options.
 */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('strongroom')
    .description('Strongroom: an on-prem agent workbench for regulated enterprises.')
    .version(buildInfo().version, '-v, --version', 'print the version')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride()
    .showHelpAfterError('(run strongroom --help for usage)');

  program
    .command('info')
    .description('show version, run mode, data directory and build')
    .option('--data-dir <dir>', 'data directory', defaultDataDir())
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await infoCommand(io, options)));

  program
    .command('serve')
    .description('serve the app and its API on a loopback address and print {"url","token"} as one JSON line')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option('--host <address>', 'loopback address to bind (127.0.0.1 or ::1)', '127.0.0.1')
    .option('--data-dir <dir>', 'data directory', defaultDataDir())
    .action(async (options: { port: number; host: string; dataDir: string }) => setExitCode(await serveCommand(io, options)));

  return program;
}

/** Runs the CLI and resolves with the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => { exitCode = code; });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    io.err(`strongroom: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
