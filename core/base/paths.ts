import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appName = 'Strongroom';

/**
 * The per-user data directory, the same one Electron's `app.getPath('userData')` returns, so the
 * desktop app, `strongroom serve` and the CLI all work on one installation.
 * `STRONGROOM_DATA_DIR` overrides it.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.STRONGROOM_DATA_DIR) return env.STRONGROOM_DATA_DIR;
  const home = homedir();
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), appName);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', appName);
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), appName);
}

/**
 * The application's root: the repository in a source checkout, the app directory when packaged.
 * Every shipped file (resources/workflows, resources/samples, models/, package.json, the
 * standalone audit verifier) is found from here, in this one module: the Electron build bundles
 * core into dist/electron/coreHost.js, two levels below the root like this file, so a path
 * relative to any other module would be wrong in the packaged app.
 */
export const appRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A shipped file or folder, by its path from the application's root. */
export function shippedPath(...segments: string[]): string {
  return join(appRoot, ...segments);
}
