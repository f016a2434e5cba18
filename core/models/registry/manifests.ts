import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { CoreError, shippedPath } from '../../base/index.ts';
import { formatIssuePath, ModelManifestSchema } from '../../contracts/index.ts';
import type { ModelManifest } from '../../contracts/index.ts';

/** The repository's `models/` folder: shipped manifests and their JSON schema. */
export const shippedModelsDir = shippedPath('models');

/**
 * Reads `models/*.json` (except the schema itself). A manifest that does not validate stops the
 * start with a message naming the file and the issue paths — a silently missing model is worse.
 * Relative GGUF paths are resolved against the manifests' folder.
 */
export function readShippedManifests(dir: string = shippedModelsDir): ModelManifest[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json') && !file.endsWith('.schema.json')).sort();
  } catch {
    return [];
  }
  return files.map((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    } catch (error) {
      throw new CoreError('ERR_INPUT_INVALID', `Model manifest ${file} is not valid JSON.`, { details: { file }, cause: error });
    }
    const parsed = ModelManifestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
      throw new CoreError('ERR_INPUT_INVALID', `Model manifest ${file} does not match models/manifest.schema.json.`, { details: { file, issues } });
    }
    const manifest = parsed.data;
    return manifest.kind === 'local' && !isAbsolute(manifest.path) ? { ...manifest, path: resolve(dir, manifest.path) } : manifest;
  });
}
