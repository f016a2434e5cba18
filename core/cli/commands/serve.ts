import { existsSync, mkdirSync } from 'node:fs';
import { createLogger, shippedPath } from '../../base/index.ts';
import { isLoopbackAddress, startHttpServer } from '../../api/index.ts';
import { announceFirstRunPassphrase } from './firstRun.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { claimDataDirectory } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';

export interface ServeOptions {
  dataDir: string;
  host: string;
  port: number;
  staticDir?: string;
  /** --data-dir was given (not the default): then it must exist, or be made by `strongroom init`. */
  dataDirNamed?: boolean;
}

/** The built renderer inside this checkout or package. */
export const defaultStaticDir = shippedPath('dist', 'renderer');

/**
 * `strongroom serve`: the app in a browser on loopback. Prints exactly one JSON line on stdout
 * when ready — `{"url": …, "token": …}` — so scripts and the e2e suite can pick it up; logs go to
 * stderr and the data directory's log file. Resolves with the exit code once SIGINT/SIGTERM have
 * shut it down.
 */
export async function serveCommand(io: CliIo, options: ServeOptions): Promise<number> {
  // Refuse a non-loopback address before touching the data directory or the keychain.
  if (!isLoopbackAddress(options.host)) {
    io.err(`strongroom serve: serve mode binds loopback addresses only (127.0.0.1 or ::1), not ${options.host}.`);
    return 1;
  }
  // A named data directory that does not exist is most often a volume that did not mount (or a
  // typo): creating it would start a new, empty installation beside the real one. The default
  // one is made on a first start, as before; `strongroom init` makes any other.
  if (options.dataDirNamed === true && !existsSync(options.dataDir)) {
    io.err(`strongroom serve: the data directory ${options.dataDir} does not exist. If it is on a volume that is not mounted, mount it and start again; to create a new installation there, run \`strongroom init --data-dir ${options.dataDir}\` first.`);
    return 1;
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // One host per data directory: a second serve (or the desktop app) on it is refused, naming the first.
  const lock = claimDataDirectory(options.dataDir, 'serve');
  const logging = createLogger({ dataDir: options.dataDir, stderr: true });
  let core: Core;
  try {
    core = await createCore({ dataDir: options.dataDir, mode: 'serve', logger: logging.logger });
  } catch (error) {
    lock.release();
    await logging.close();
    throw error;
  }
  let server;
  try {
    const identity = core.identity;
    if (!identity) throw new Error('serve mode needs storage');
    await announceFirstRunPassphrase(io, identity);
    server = await startHttpServer({
      router: core.router,
      events: core.events,
      logger: core.logger,
      signIn: {
        begin: (redirectUri) => identity.beginSignIn(redirectUri),
        complete: (callbackUrl, requestId) => identity.completeSignIn(callbackUrl, requestId),
      },
      host: options.host,
      port: options.port,
      staticDir: options.staticDir ?? defaultStaticDir,
    });
  } catch (error) {
    await core.dispose();
    lock.release();
    await logging.close();
    io.err(`strongroom serve: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const running = server;
  // Install the signal handlers before announcing readiness: a supervisor may signal the moment
  // it reads the ready line.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      core.logger.info({ signal }, 'serve mode shutting down');
      void (async () => {
        await running.close();
        await core.dispose();
        lock.release();
        await logging.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve(0);
      })();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  lock.setUrl(server.appUrl);
  io.out(JSON.stringify({ url: server.appUrl, token: server.token }));
  return stopped;
}
