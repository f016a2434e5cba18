import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeTestModel } from '../../models/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand } from './common.ts';
import { withOperator } from './api.ts';

/** The demo model's manifest id, file name and shape: small (64 wide, 2 layers) so it loads in well under a second. */
export const DEMO_MODEL_ID = 'strongroom-test';
export const DEMO_MODEL_FILE = 'strongroom-test-model.gguf';
/** Context of the demo model, written into the GGUF and its manifest. */
export const DEMO_CONTEXT = 16_384;

/**
 * `strongroom demo`: makes a fresh installation runnable without a real model. Writes a generated
 * random-weight GGUF into `<dataDir>/models/` and registers it for every account, labelled as a
 * test model whose text is meaningless. Running it again changes nothing.
 */
export function demoCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, { ...options, create: true }, async (api) => {
      const dir = join(options.dataDir, 'models');
      const path = join(dir, DEMO_MODEL_FILE);
      const existing = (await api.call('models.list', {})).find((model) => model.id === DEMO_MODEL_ID);
      const steps: string[] = [];
      let wroteFile = false;
      if (!existsSync(path)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // 16k tokens of context: the test tokenizer spends about a token per character, and the shipped
        // workflows' prompts (the credit memo's sample documents) run to several thousand characters.
        const written = await writeTestModel(path, { embedding: 64, layers: 2, seed: 1, contextLength: DEMO_CONTEXT });
        wroteFile = true;
        steps.push(`Wrote a generated test model (${Math.round(written.sizeBytes / 1024)} KiB, random weights) to ${path}.`);
      } else steps.push(`The test model file is already at ${path}.`);
      let registered = false;
      if (existing === undefined) {
        await api.call('models.add', {
          kind: 'local',
          id: DEMO_MODEL_ID,
          name: 'Strongroom test model',
          description: 'A generated random-weight model so a fresh install can run workflows. Its text is meaningless.',
          path,
          classifications: ['public', 'internal', 'confidential', 'restricted'],
          allAccounts: true,
          testModel: true,
          threads: 1,
          contextSize: DEMO_CONTEXT,
        });
        registered = true;
        steps.push(`Registered it as ${DEMO_MODEL_ID}, available to every account and labelled as a test model.`);
      } else steps.push(`${DEMO_MODEL_ID} is already registered; nothing to do.`);
      steps.push('Its text is meaningless: it exists to run workflows end to end, not to answer.');
      steps.push('Try it: `strongroom serve`, sign in, open Drafts → New draft → "Credit approval memorandum" → Use sample input. The draft and its exports are labelled as written by the test model.');
      io.out(options.json ? JSON.stringify({ ok: true, value: { modelId: DEMO_MODEL_ID, path, wroteFile, registered } }) : steps.join('\n'));
      return 0;
    }),
  );
}
