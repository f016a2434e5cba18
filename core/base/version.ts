import { readFileSync } from 'node:fs';
import { shippedPath } from './paths.ts';

interface BuildInfo {
  version: string;
  commit: string | null;
  builtAt: string | null;
}

let cached: BuildInfo | undefined;

/**
 * Version from package.json; commit and build time from `STRONGROOM_BUILD_COMMIT` and
 * `STRONGROOM_BUILD_TIME`, which the packaging step sets (a source checkout has neither).
 */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const packageJson = JSON.parse(readFileSync(shippedPath('package.json'), 'utf8')) as { version: string };
  cached = {
    version: packageJson.version,
    commit: process.env.STRONGROOM_BUILD_COMMIT ?? null,
    builtAt: process.env.STRONGROOM_BUILD_TIME ?? null,
  };
  return cached;
}
