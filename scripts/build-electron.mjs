// Bundles the Electron shell into dist/electron with Vite's build API (SSR mode: Node resolution,
// no browser shims). Three entry points, three bundles:
//   main.js      ESM  Electron main (package.json "main"); Electron 45 loads ESM mains.
//   preload.cjs  CJS  one self-contained file: a sandboxed preload may require('electron') and
//                     nothing else, and cannot be an ES module.
//   coreHost.js  ESM  the core utilityProcess. Core runs from .ts under Node 24, but Electron's
//                     utilityProcess cannot be relied on to strip types, so it is bundled too.
// Node builtins and every production dependency stay external: electron-builder ships
// node_modules, and native addons (better-sqlite3, keytar, node-llama-cpp) cannot be bundled.
// Usage: node scripts/build-electron.mjs [--out-dir=<dir>]
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDirFlag = process.argv.find((arg) => arg.startsWith('--out-dir='));
const outDir = outDirFlag ? resolve(outDirFlag.slice('--out-dir='.length)) : join(root, 'dist', 'electron');

const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
// Native addons are external even before they become dependencies, so a bundle never inlines one.
const packages = [...Object.keys(packageJson.dependencies ?? {}), 'better-sqlite3', 'keytar', 'node-llama-cpp'];
const isPackage = (id) => packages.some((name) => id === name || id.startsWith(`${name}/`));
const nodeSide = (id) => id === 'electron' || nodeBuiltins.has(id) || isPackage(id);

/** One bundle; `external` decides what stays a runtime import. */
async function bundle({ input, fileName, format, external }) {
  await build({
    configFile: false,
    root,
    logLevel: process.env.CI ? 'warn' : 'info',
    publicDir: false,
    ssr: { noExternal: true, target: 'node' },
    build: {
      ssr: join(root, input),
      outDir,
      emptyOutDir: false,
      target: 'node24',
      minify: false,
      sourcemap: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      rolldownOptions: {
        external,
        // An external import nothing uses is dropped: main imports core/api for its CSP only, and
        // must not load fastify for it.
        treeshake: { moduleSideEffects: (_id, isExternal) => !isExternal },
        output: { format, entryFileNames: fileName, codeSplitting: false },
      },
    },
  });
}

await bundle({ input: 'electron/main/main.ts', fileName: 'main.js', format: 'es', external: nodeSide });
await bundle({ input: 'electron/preload/preload.ts', fileName: 'preload.cjs', format: 'cjs', external: (id) => id === 'electron' });
await bundle({ input: 'electron/coreHost/coreHost.ts', fileName: 'coreHost.js', format: 'es', external: (id) => nodeBuiltins.has(id) || isPackage(id) });
