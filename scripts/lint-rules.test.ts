import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// Probes for the layer rules of CONVENTIONS 1–2: each forbidden import, linted as if it sat in
// the folder named, must be reported by no-restricted-imports; each allowed one must not.
// Type-aware rules are switched off for the virtual probe files (they are not on disk).
const eslint = new ESLint({ cwd: process.cwd(), overrideConfig: [tseslint.configs.disableTypeChecked] });

async function restrictedImportMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

describe('layer rules', () => {
  const forbidden: Array<[string, string, RegExp]> = [
    ['core/api/probe.ts', "import { app } from 'electron';\nexport const x = app;", /never imports Electron/],
    ['core/storage/probe.ts', "import { useState } from 'react';\nexport const x = useState;", /never imports React/],
    ['core/base/probe.ts', "import { createRoot } from 'react-dom/client';\nexport const x = createRoot;", /never imports React or Electron/],
    ['core/api/probe.ts', "import { App } from '../../renderer/src/App.tsx';\nexport const x = App;", /renderer/],
    ['core/api/probe.ts', "import { x } from '../storage/internal.ts';\nexport const y = x;", /index\.ts/],
    ['core/contracts/probe.ts', "import { randomUUID } from 'node:crypto';\nexport const x = randomUUID;", /browser-safe/],
    ['core/contracts/probe.ts', "import { CoreError } from '../base/index.ts';\nexport const x = CoreError;", /browser-safe/],
    ['renderer/src/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;", /no Node modules/],
    ['renderer/src/probe.ts', "import { readFileSync } from 'fs';\nexport const x = readFileSync;", /no Node modules/],
    ['renderer/src/probe.ts', "import Database from 'better-sqlite3';\nexport const x = Database;", /native or server packages/],
    ['renderer/src/features/probe.ts', "import { createRouter } from '../../../core/api/index.ts';\nexport const x = createRouter;", /only core\/contracts/],
    ['renderer/src/probe.ts', "import { createCore } from '../../core/index.ts';\nexport const x = createCore;", /only core\/contracts/],
    ['renderer/src/probe.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;", /window\.strongroom/],
    ['electron/main/probe.ts', "import { App } from '../../renderer/src/App.tsx';\nexport const x = App;", /renderer/],
    ['core/api/probe.ts', "export * from './router.ts';", /export \*/],
  ];

  it.each(forbidden)('%s: rejects %j', async (filePath, code, message) => {
    const messages = await restrictedImportMessages(filePath, code);
    expect(messages.some((m) => message.test(m)), messages.join(' | ') || 'no message').toBe(true);
  });

  const allowed: Array<[string, string]> = [
    ['renderer/src/probe.ts', "import { apiMethods } from '../../core/contracts/index.ts';\nexport const x = apiMethods;"],
    ['core/api/probe.ts', "import { CoreError } from '../base/index.ts';\nexport const x = CoreError;"],
    ['core/api/probe.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;"],
    ['core/contracts/probe.ts', "import { z } from 'zod';\nexport const x = z;"],
  ];

  it.each(allowed)('%s: allows %j', async (filePath, code) => {
    expect(await restrictedImportMessages(filePath, code)).toEqual([]);
  });
});
