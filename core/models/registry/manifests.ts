import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { shippedPath } from '../../base/index.ts';
import { formatIssuePath, ModelManifestSchema } from '../../contracts/index.ts';
import type { InputIssue, ModelManifest } from '../../contracts/index.ts';

/** The repository's `models/` folder: shipped manifests and their JSON schema. */
export const shippedModelsDir = shippedPath('models');

/** A shipped manifest that was set aside: its file name and why (never its content). */
export interface ManifestProblem {
  file: string;
  reason: string;
  /** Schema issues (paths and rules) when the JSON is valid but not a manifest. */
  issues?: InputIssue[];
}

/** The valid shipped manifests, the files set aside (`problems`) and the folder they were read from. */
export type ShippedManifests = ModelManifest[] & { problems: ManifestProblem[]; dir: string };

/**
 * Reads `models/*.json` (except the schema itself). A manifest that cannot be read, is not JSON
 * or does not validate is set aside with its file name and reason in `problems`, so one broken
 * file costs only its own model: the registry logs it and `strongroom models list` shows it.
 * Relative GGUF paths are resolved against the manifests' folder.
 */
export function readShippedManifests(dir: string = shippedModelsDir): ShippedManifests {
  const problems: ManifestProblem[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith('.json') && !file.endsWith('.schema.json')).sort();
  } catch {
    files = [];
  }
  const manifests = files.flatMap((file): ModelManifest[] => {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (error) {
      problems.push({ file, reason: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})` });
      return [];
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      // V8's message may quote the text; only where the error is, is kept.
      const at = /line \d+ column \d+/.exec(error instanceof Error ? error.message : '')?.[0];
      problems.push({ file, reason: `is not valid JSON${at === undefined ? '' : ` (${at})`}` });
      return [];
    }
    const parsed = ModelManifestSchema.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
      problems.push({ file, reason: `does not match models/manifest.schema.json (${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')})`, issues });
      return [];
    }
    const manifest = parsed.data;
    return [manifest.kind === 'local' && !isAbsolute(manifest.path) ? { ...manifest, path: resolve(dir, manifest.path) } : manifest];
  });
  return Object.assign(manifests, { problems, dir });
}
