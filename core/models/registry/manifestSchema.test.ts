import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ModelManifestSchema } from '../../contracts/index.ts';
import { readShippedManifests, shippedModelsDir } from './manifests.ts';

/** The JSON Schema shipped beside the manifests, generated from the zod schema (input side: defaults optional). */
function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(ModelManifestSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ ...schema, $id: 'https://strongroom.invalid/models/manifest.schema.json', title: 'Strongroom model manifest' }, null, 2)}\n`;
}

describe('models/manifest.schema.json', () => {
  const file = join(shippedModelsDir, 'manifest.schema.json');

  it('is generated from ModelManifestSchema and current (UPDATE_MODEL_SCHEMA=1 rewrites it)', () => {
    if (process.env.UPDATE_MODEL_SCHEMA === '1') writeFileSync(file, manifestJsonSchema());
    expect(readFileSync(file, 'utf8')).toBe(manifestJsonSchema());
  });

  it('every shipped manifest validates, and the examples are disabled so nothing unconfigured is offered', () => {
    const manifests = readShippedManifests();
    // A broken file is set aside at run time rather than stopping the start; the shipped ones have none.
    expect(manifests.problems).toEqual([]);
    expect(manifests.length).toBeGreaterThan(0);
    for (const manifest of manifests) expect(manifest.enabled).toBe(false);
  });
});
