// Builds the renderer into dist/renderer with Vite. `--if-missing` (used by `npm install`'s
// prepare step) skips the build when one exists, so a fresh clone can `npx strongroom serve`.
import { existsSync } from 'node:fs';
import { build } from 'vite';

const out = new URL('../dist/renderer/index.html', import.meta.url);
if (process.argv.includes('--if-missing') && existsSync(out)) process.exit(0);
await build({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, logLevel: process.env.CI ? 'warn' : 'info' });
