// electron-builder cannot run here (it downloads Electron), so its configuration is checked
// against electron-builder's own JSON schema: a misspelt key (`perMachin`) would otherwise only
// surface on the packaging machine, or silently do nothing.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
// Both ship with electron-builder (a devDependency); neither has type declarations here.
const load = createRequire(join(root, 'node_modules', 'app-builder-lib', 'package.json'));
const yaml = load('js-yaml') as { load(text: string): unknown };
const { default: Ajv } = load('ajv') as { default: new (options: object) => { validate(schema: unknown, data: unknown): boolean; errors?: unknown } };
const schema: unknown = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));

interface BuilderConfig {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  npmRebuild: boolean;
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
  nsis: { perMachine: boolean; oneClick: boolean; deleteAppDataOnUninstall: boolean };
}
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const validate = (data: unknown) => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  return { valid: ajv.validate(schema, data), errors: ajv.errors };
};

describe('electron-builder.yml', () => {
  it('is valid for electron-builder’s schema, which rejects unknown keys', () => {
    expect(validate(config)).toEqual({ valid: true, errors: null });
    expect(validate({ ...config, nsis: { ...config.nsis, perMachin: true } }).valid).toBe(false);
  });

  it('names the product and builds AppImage + deb, a per-machine NSIS installer and a dmg', () => {
    expect(config.appId).toBe('com.strongroom.desktop');
    expect(config.productName).toBe('Strongroom');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.nsis).toMatchObject({ perMachine: true, oneClick: false, deleteAppDataOnUninstall: false });
  });

  it('packs what package.json "main" and the shell load, and unpacks native addons', () => {
    const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(packageJson.main).toBe('dist/electron/main.js');
    expect(config.files).toEqual(expect.arrayContaining(['dist/**/*', 'package.json', 'node_modules/**/*']));
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'node_modules/better-sqlite3/**/*', 'node_modules/keytar/**/*', 'node_modules/node-llama-cpp/**/*']));
    expect(config.npmRebuild).toBe(false);
  });

  it('leaves out the unused font weights but keeps every font the PDF export embeds', () => {
    const { minimatch } = load('minimatch') as { minimatch: (path: string, pattern: string) => boolean };
    const excluded = (path: string) => config.files.filter((p) => p.startsWith('!')).some((p) => minimatch(path, p.slice(1)));
    const used = [...readFileSync(join(root, 'core', 'drafts', 'export', 'pdfFonts.ts'), 'utf8').matchAll(/'(@expo-google-fonts\/[^']+\.ttf)'/g)].map((m) => `node_modules/${m[1]!}`);
    expect(used.length).toBeGreaterThanOrEqual(6);
    expect(used.filter(excluded)).toEqual([]);
    expect(excluded('node_modules/@expo-google-fonts/noto-sans/100Thin/NotoSans_100Thin.ttf')).toBe(true);
    expect(excluded('node_modules/@expo-google-fonts/noto-sans-sc/900Black/NotoSansSC_900Black.ttf')).toBe(true);
  });

  it('leaves out an addon built for the packaging machine’s CPU, but not the portable prebuilt ones', () => {
    const { minimatch } = load('minimatch') as { minimatch: (path: string, pattern: string) => boolean };
    const included = (path: string) => config.files.some((p) => !p.startsWith('!') && minimatch(path, p)) && !config.files.filter((p) => p.startsWith('!')).some((p) => minimatch(path, p.slice(1)));
    expect(included('node_modules/node-llama-cpp/llama/localBuilds/linux-x64/Release/llama-addon.node')).toBe(false);
    expect(included('node_modules/node-llama-cpp/llama/localBuilds')).toBe(false);
    expect(included('node_modules/node-llama-cpp/llama/llama.cpp/ggml/src/ggml.c')).toBe(false);
    expect(included('node_modules/node-llama-cpp/llama/lastBuild.json')).toBe(false);
    expect(included('node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node')).toBe(true);
    expect(included('node_modules/node-llama-cpp/dist/index.js')).toBe(true);
    expect(included('node_modules/node-llama-cpp/llama/grammars/json.gbnf')).toBe(true);
  });

  it('turns off the fuses that would let the binary run as plain Node', () => {
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeOptionsEnvironmentVariable: false, enableNodeCliInspectArguments: false, onlyLoadAppFromAsar: true });
  });
});
