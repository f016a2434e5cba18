// Entry of the core utilityProcess (bundled to dist/electron/coreHost.js). Electron main forks it
// with `--data-dir=<dir>`; it creates core, restores the window's remembered session (the user
// signs in otherwise), and relays messages from process.parentPort until main asks it to shut down.
import { mkdirSync } from 'node:fs';
import { createCore } from '../../core/index.ts';
import type { Core } from '../../core/index.ts';
import { createLogger } from '../../core/base/index.ts';
import { claimDataDirectory } from '../../core/storage/index.ts';
import { rememberedSession } from '../../core/identity/index.ts';
import type { HostToMainMessage } from '../shared/coreHostProtocol.ts';
import { dataDirFrom } from './hostArgs.ts';
import { createCoreHostHandler } from './messageHandler.ts';
import { reportStartupFailure } from './startupFailure.ts';

/** The utilityProcess's parentPort (Electron adds it to `process`); absent under plain Node. */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: HostToMainMessage): void;
}

async function run(port: ParentPort, dataDir: string, logging: ReturnType<typeof createLogger>): Promise<void> {
  // Crash loudly and let main restart us: a half-working core is worse than a restarted one.
  const crash = (error: unknown): void => {
    const stack = error instanceof Error ? error.stack?.split('\n').slice(1, 8).join('\n') : undefined;
    logging.logger.fatal({ errorType: error instanceof Error ? error.name : typeof error, stack }, 'core host crashed');
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // Listen before core exists, so nothing main sends early is lost; main waits for `ready`.
  const messages: unknown[] = [];
  let deliver: (message: unknown) => void = (message) => messages.push(message);
  port.on('message', (event) => deliver(event.data));

  // One host per data directory: a `strongroom serve` already on it is named in the start-up failure.
  const lock = claimDataDirectory(dataDir, 'desktop');
  let core: Core;
  try {
    core = await createCore({ dataDir, mode: 'desktop', logger: logging.logger });
  } catch (error) {
    lock.release();
    throw error;
  }
  if (!core.storage || !core.identity) throw new Error('the desktop core needs storage');
  // Headless provisioning may preset the local administrator's first passphrase; otherwise the
  // window shows the first-run setup (auth.setupLocal).
  await core.identity.applyProvisionedPassphrase();
  const session = await rememberedSession(core.storage.secrets, core.storage.installationId);
  const handler = createCoreHostHandler(core, session, (message) => port.postMessage(message));
  const shutdown = async (): Promise<void> => {
    handler.dispose();
    await core.dispose();
    lock.release();
    await logging.close();
    process.exit(0);
  };
  deliver = (message) => {
    void handler.handle(message).then((outcome) => (outcome === 'shutdown' ? shutdown() : undefined));
  };
  for (const message of messages.splice(0)) deliver(message);
  core.logger.info({ pid: process.pid }, 'core host ready');
  port.postMessage({ kind: 'ready' });
}

const parentPort = (process as { parentPort?: ParentPort }).parentPort;
if (parentPort) {
  const port = parentPort;
  const dataDir = dataDirFrom(process.argv, process.env);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const logging = createLogger({ dataDir });
  // A start-up failure with a typed error (no keychain, wrong master key, schema too new) goes to
  // the log file and to main, which shows it and does not restart us; see startupFailure.ts.
  run(port, dataDir, logging).catch((error: unknown) =>
    reportStartupFailure(error, { port, logger: logging.logger, closeLog: logging.close, stderr: (text) => process.stderr.write(text), exit: (code) => process.exit(code) }),
  );
} else {
  process.stderr.write('coreHost.js runs inside Electron (utilityProcess.fork); use `strongroom serve` for a browser.\n');
  process.exitCode = 1;
}
