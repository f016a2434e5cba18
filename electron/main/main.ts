// Electron main: the shell's composition root, and nothing else. Order matters: the privileged
// scheme, the single-instance lock and the navigation guard before `ready`; permissions, the
// app:// handler, the core host and the IPC relay before the first window loads; the core host
// disposed before the process exits. Each step's security reasoning lives in its own module.
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import type { WebContents } from 'electron';
import { createLogger, defaultDataDir } from '../../core/base/index.ts';
import { appEntryUrl, appOrigin, appScheme, devServerOrigin, originOf } from './appOrigin.ts';
import { createAppProtocolHandler, privilegedSchemes } from './appProtocol.ts';
import { CoreHost } from './coreHost.ts';
import { EventSubscriptions } from './eventSubscriptions.ts';
import { registerIpcRelay } from './ipcRelay.ts';
import { pickModelFile } from './modelFilePicker.ts';
import { guardNavigation } from './navigationGuard.ts';
import { denyAllPermissions } from './permissionGuard.ts';
import { quitCleanly } from './quitCleanly.ts';
import { enforceSingleInstance } from './singleInstance.ts';
import { showStartupFailure } from './startupFailure.ts';
import { secureWindowOptions } from './windowOptions.ts';
import { WindowRegistry } from './windows.ts';

// Bundled to dist/electron/main.js, next to preload.cjs and coreHost.js; the renderer is in dist/renderer.
const here = import.meta.dirname;
const { logger } = createLogger({ stderr: true });
const devServerUrl = app.isPackaged ? undefined : process.env.STRONGROOM_DEV_SERVER_URL;
const devOrigin = devServerOrigin(devServerUrl);
const allowedOrigins = devOrigin ? [appOrigin, devOrigin] : [appOrigin];
const windows = new WindowRegistry<BrowserWindow>();

// One data directory for the desktop app, `strongroom serve` and the CLI (core/base/paths.ts).
app.setName('Strongroom');
app.setPath('userData', defaultDataDir());
protocol.registerSchemesAsPrivileged(privilegedSchemes);

function openWindow(): void {
  const options = secureWindowOptions({ preloadPath: join(here, 'preload.cjs'), devTools: !app.isPackaged });
  windows.open((settings) => new BrowserWindow(settings), options, devOrigin && devServerUrl ? devServerUrl : appEntryUrl).catch((error: unknown) => {
    logger.error({ errorType: error instanceof Error ? error.name : typeof error }, 'window failed to load the app');
  });
}

function focusOrOpenWindow(): void {
  if (!windows.focusFirst()) openWindow();
}

async function start(): Promise<void> {
  denyAllPermissions(session.defaultSession, (permission) => logger.warn({ permission }, 'permission request denied'));
  protocol.handle(appScheme, createAppProtocolHandler(join(here, '..', 'renderer')));

  const subscriptions = new EventSubscriptions();
  const coreHost = new CoreHost({
    spawn: () => utilityProcess.fork(join(here, 'coreHost.js'), [`--data-dir=${app.getPath('userData')}`], { serviceName: 'Strongroom core', stdio: 'inherit' }),
    onEvent: (name, payload) => subscriptions.publish(name, payload),
    onExit: (exitCode, willRestart) => {
      logger.error({ exitCode, willRestart }, 'core host exited');
      if (!willRestart) dialog.showErrorBox('Strongroom stopped working', 'The Strongroom core stopped repeatedly. Quit and start Strongroom again; if this keeps happening, send the log file to your IT support.');
    },
    // A typed start-up failure (keychain, master key, schema too new): its own message, no restarts.
    onStartupFailed: (error) => showStartupFailure(error, { dialog, quit: () => app.quit(), logFile: join(app.getPath('userData'), 'logs', 'strongroom.log'), logger }),
  });
  const removeRelay = registerIpcRelay({
    ipcMain,
    allowedOrigins,
    ownsSender: (sender) => windows.owns(sender),
    call: (method, input) => coreHost.call(method, input),
    subscriptions,
    // The relay has checked the sender is one of our windows, so it is a real WebContents.
    pickModelFile: (sender) => pickModelFile(dialog, BrowserWindow.fromWebContents(sender as WebContents)),
    onRefused: (channel, reason, url) => logger.warn({ channel, reason, origin: url ? originOf(url) : null }, 'ipc message refused'),
  });
  quitCleanly(app, async () => {
    removeRelay();
    await coreHost.dispose();
  }, (error) => logger.error({ errorType: error instanceof Error ? error.name : typeof error }, 'shutdown failed'));

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', focusOrOpenWindow);
  openWindow();
}

const isFirstInstance = enforceSingleInstance(app, () => {
  if (app.isReady()) focusOrOpenWindow();
});
if (isFirstInstance) {
  app.on('web-contents-created', (_event, contents) => {
    guardNavigation(contents, {
      allowedOrigins,
      openExternal: (url) => void shell.openExternal(url),
      onBlocked: (what, url) => logger.warn({ what, origin: originOf(url) }, 'navigation blocked'),
    });
  });
  app.whenReady().then(start).catch((error: unknown) => {
    logger.fatal({ errorType: error instanceof Error ? error.name : typeof error }, 'start-up failed');
    app.exit(1);
  });
}
