// ESLint flat config. Besides type-aware TypeScript rules it enforces the layer boundaries of
// CONVENTIONS 1–2; core/lint.test.ts proves each boundary rule fires.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules.filter((name) => !name.startsWith('_')), ...builtinModules.map((name) => `node:${name}`)];
const nativeAndServerPackages = ['better-sqlite3', 'keytar', 'node-llama-cpp', 'fastify', '@fastify/static', 'pino', 'rotating-file-stream', 'commander'];
/** core's top-level areas; another area is reached through its index.ts only. */
const coreAreas = ['contracts', 'base', 'api', 'storage', 'crypto', 'secrets', 'identity', 'models', 'workflows', 'tracing', 'drafts', 'feedback', 'evals', 'cache', 'guardrails', 'knowledge', 'audit', 'sync', 'cli'];

const noExportAll = {
  selector: 'ExportAllDeclaration',
  message: 'Export named symbols from an index.ts; `export *` hides what a module offers (CONVENTIONS 2).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'coverage/**', '**/*.fixture.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Async functions that satisfy an async interface need no await of their own.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }],
      'no-restricted-syntax': ['error', noExportAll],
    },
  },
  {
    // Plain JavaScript (scripts, the bin entry) and the declaration files beside it are linted
    // without type information. Merge, not replace, languageOptions: disableTypeChecked turns the
    // project service off there.
    files: ['**/*.js', '**/*.mjs', '**/*.d.mts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'electron', message: 'core/ never imports Electron; the shell lives in electron/ (CONVENTIONS 1).' },
          { name: 'react', message: 'core/ never imports React; UI lives in renderer/ (CONVENTIONS 1).' },
          { name: 'react-dom', message: 'core/ never imports React; UI lives in renderer/ (CONVENTIONS 1).' },
        ],
        patterns: [
          { regex: '^(react|react-dom|electron)/', message: 'core/ never imports React or Electron (CONVENTIONS 1).' },
          { regex: '(^|/)(renderer|electron)/', message: 'core/ never imports from renderer/ or electron/ (CONVENTIONS 1).' },
          { regex: `^(\\.\\./)+(${coreAreas.join('|')})/(?!index\\.ts$).+`, message: "Import another area through its index.ts, not its internals (CONVENTIONS 2)." },
        ],
      }],
    },
  },
  {
    files: ['core/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'core/contracts is browser-safe: zod schemas and types only.' })),
        patterns: [{ regex: '^\\.\\./', message: 'core/contracts is browser-safe and depends on nothing else in core.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: globals.browser },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.map((name) => ({ name, message: 'The renderer is a sandboxed browser page: no Node modules (CONVENTIONS 1).' })),
          ...nativeAndServerPackages.map((name) => ({ name, message: 'The renderer never loads native or server packages; call the API (CONVENTIONS 1).' })),
          { name: 'electron', message: 'The renderer talks to the shell only through window.strongroom (CONVENTIONS 6).' },
        ],
        patterns: [
          { regex: '(^|/)core/(?!contracts(/|$)).*', message: 'The renderer imports only core/contracts, never core runtime (CONVENTIONS 1).' },
          { regex: '(^|/)electron/', message: 'The renderer never imports electron/ code (CONVENTIONS 1).' },
        ],
      }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '(^|/)renderer/', message: 'electron/ never imports renderer code; it loads the built app.' },
          { regex: '^react(-dom)?$', message: 'electron/ never imports React.' },
        ],
      }],
    },
  },
);
