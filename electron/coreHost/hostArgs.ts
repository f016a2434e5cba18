import { defaultDataDir } from '../../core/base/index.ts';

/** The core host's data directory: `--data-dir=<dir>` from main, else STRONGROOM_DATA_DIR or the per-user default. */
export function dataDirFrom(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const flag = argv.find((arg) => arg.startsWith('--data-dir='));
  const value = flag?.slice('--data-dir='.length);
  return value ? value : defaultDataDir(env);
}
