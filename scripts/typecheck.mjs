// Type-checks every project the root tsconfig.json references, each with its own libs and types,
// so a DOM type in core or a Node type in the renderer fails here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const root = JSON.parse(readFileSync(new URL('../tsconfig.json', import.meta.url), 'utf8').replace(/^\s*\/\/.*$/gm, ''));
let failed = 0;
for (const { path } of root.references) {
  const project = path.endsWith('.json') ? path : `${path}/tsconfig.json`;
  const result = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed += 1;
    console.error(`typecheck: ${project} failed`);
  }
}
process.exit(failed === 0 ? 0 : 1);
