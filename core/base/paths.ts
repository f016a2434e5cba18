import { homedir } from 'node:os';
import { join } from 'node:path';

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
