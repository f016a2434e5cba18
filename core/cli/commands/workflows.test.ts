import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
/* eslint-disable no-restricted-imports -- the engine's test harness and stand-in model are testing seams meant for other areas' tests, not internals */
import { harness } from '../../workflows/testing/harness.ts';
import type { Harness } from '../../workflows/testing/harness.ts';
import { instantModel } from '../../workflows/testing/instantModel.ts';
/* eslint-enable no-restricted-imports */
import { main } from '../main.ts';
import { capture } from '../testing.ts';
import { workflowsImportCommand, workflowsListCommand, workflowsValidateCommand } from './workflows.ts';

const summarise = `id: summarise
name: Summarise
inputs: {type: object, properties: {topic: {type: string}}, required: [topic]}
steps:
  - id: draft
    kind: llm
    prompt: "Summarise {{ inputs.topic }}"
    output: {type: object, properties: {summary: {type: string}}, required: [summary]}
`;

const open: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.core.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-workflows-'));
  dirs.push(dir);
  return dir;
}
function file(name: string, text: string): string {
  const path = join(temp(), name);
  writeFileSync(path, text);
  return path;
}
async function make(): Promise<Harness> {
  const h = await harness({ model: instantModel(), workflows: { summarise } });
  open.push(h);
  return h;
}

describe('strongroom workflows list / validate / import', () => {
  it('lists the account\'s workflows with their version and source, as text and as one JSON object', async () => {
    const h = await make();
    const text = capture();
    expect(await workflowsListCommand(text, h.core, { json: false })).toBe(0);
    expect(text.stdout.join('\n')).toMatch(/^summarise\s+[0-9a-f]{12}\s+shipped\s+1 version\s+Summarise$/m);
    const json = capture();
    expect(await workflowsListCommand(json, h.core, { json: true })).toBe(0);
    expect(json.stdout).toHaveLength(1);
    const parsed = JSON.parse(json.stdout[0]!) as { ok: boolean; value: Array<{ id: string; source: string }> };
    expect(parsed.value.map((w) => [w.id, w.source])).toEqual([['summarise', 'shipped']]);
  });

  it('validate: a valid file exits 0; an invalid one exits 1 and prints each issue with its path', async () => {
    const h = await make();
    const good = capture();
    expect(await workflowsValidateCommand(good, h.core, { json: false, file: file('good.yaml', summarise.replace('id: summarise', 'id: summarise-two')) })).toBe(0);
    expect(good.stdout.join('')).toMatch(/valid — summarise-two version [0-9a-f]{12}/);

    const broken = summarise.replace('kind: llm', 'kind: llm\n    temperature: 9').replace('name: Summarise\n', '');
    const bad = capture();
    expect(await workflowsValidateCommand(bad, h.core, { json: false, file: file('bad.yaml', broken) })).toBe(1);
    const printed = bad.stderr.join('\n');
    expect(printed).toMatch(/^ {2}name: /m);
    expect(printed).toMatch(/^ {2}steps\[0\]\.llm\.temperature: /m);

    const badJson = capture();
    expect(await workflowsValidateCommand(badJson, h.core, { json: true, file: file('bad.yaml', broken) })).toBe(1);
    const value = (JSON.parse(badJson.stdout.join('')) as { value: { valid: boolean; issues: Array<{ path: string }> } }).value;
    expect(value.valid).toBe(false);
    expect(value.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['name', 'steps[0].llm.temperature']));
  });

  it('validate: a missing file exits 1 naming it', async () => {
    const h = await make();
    const io = capture();
    expect(await workflowsValidateCommand(io, h.core, { json: false, file: join(temp(), 'absent.yaml') })).toBe(1);
    expect(io.stderr.join('')).toMatch(/Cannot read .*absent\.yaml: ENOENT/);
  });

  it('import adds a version that list then shows; importing the same content again changes nothing', async () => {
    const h = await make();
    const path = file('summarise.yaml', summarise.replace('name: Summarise', 'name: Summarise v2'));
    const first = capture();
    expect(await workflowsImportCommand(first, h.core, { json: true, file: path })).toBe(0);
    const imported = (JSON.parse(first.stdout.join('')) as { value: { id: string; version: string; created: boolean } }).value;
    expect(imported).toMatchObject({ id: 'summarise', created: true });
    const again = capture();
    expect(await workflowsImportCommand(again, h.core, { json: false, file: path })).toBe(0);
    expect(again.stdout.join('')).toMatch(/already imported/);
    const list = capture();
    await workflowsListCommand(list, h.core, { json: true });
    const [workflow] = (JSON.parse(list.stdout.join('')) as { value: Array<{ version: string; versions: unknown[]; name: string }> }).value;
    expect(workflow).toMatchObject({ version: imported.version, name: 'Summarise v2' });
    expect(workflow!.versions).toHaveLength(2);
  });

  it('an unknown --account exits 1 and lists the accounts that exist', async () => {
    const h = await make();
    const io = capture();
    expect(await workflowsListCommand(io, h.core, { json: false, account: 'Nope' })).toBe(1);
    expect(io.stderr.join('')).toMatch(/ERR_NOT_FOUND: There is no account named "Nope"\. Existing accounts: /);
  });

  it('validate and import name the tools and models the account does not have, by path', async () => {
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const dataDir = join(temp(), 'data');
    expect(await main(['node', 'strongroom', 'init', '--json', '--data-dir', dataDir], capture(), env)).toBe(0);
    const file = join(temp(), 'refs.yaml');
    writeFileSync(file, [
      'id: refs',
      'name: References',
      'inputs: {type: object}',
      'steps:',
      '  - {id: look, kind: tool, tool: no_such_tool, args: {}}',
      '  - {id: work, kind: agent, goal: "g", tools: [calculator, sanctions.screen], output: {type: object}}',
      '  - {id: say, kind: llm, model: no-such-model, prompt: "p"}',
      '  - {id: sum, kind: tool, tool: calculator, args: {expression: {template: "1+1"}}}',
      '',
    ].join('\n'));
    const io = capture();
    expect(await main(['node', 'strongroom', 'workflows', 'validate', file, '--json', '--data-dir', dataDir], io, env)).toBe(1);
    const { value } = JSON.parse(io.stdout.join('')) as { value: { valid: boolean; issues: Array<{ path: string; message: string }> } };
    expect(value.valid).toBe(false);
    expect(value.issues.map((issue) => issue.path)).toEqual(['steps[0].tool.tool', 'steps[1].agent.tools[1]', 'steps[2].llm.model']);
    expect(value.issues[0]!.message).toContain('unknown tool "no_such_tool"');
    const imported = capture();
    expect(await main(['node', 'strongroom', 'workflows', 'import', file, '--json', '--data-dir', dataDir], imported, env)).toBe(1);
    expect(JSON.parse(imported.stdout.join(''))).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('steps[0].tool.tool') as string } });
  });

  it('is wired into `strongroom`: workflows list on a real installation lists the shipped workflows', async () => {
    const io = capture();
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const dataDir = join(temp(), 'data');
    // Only init makes an installation: a mistyped --data-dir is refused, and nothing is created.
    const before = capture();
    expect(await main(['node', 'strongroom', 'workflows', 'list', '--json', '--data-dir', dataDir], before, env)).toBe(1);
    expect(JSON.parse(before.stdout.join(''))).toMatchObject({ ok: false, error: { code: 'ERR_STORAGE_NOT_INITIALISED' } });
    expect(existsSync(join(dataDir, 'strongroom.db'))).toBe(false);
    expect(await main(['node', 'strongroom', 'init', '--json', '--data-dir', dataDir], capture(), env)).toBe(0);
    const code = await main(['node', 'strongroom', 'workflows', 'list', '--json', '--data-dir', dataDir], io, env);
    expect(code).toBe(0);
    const ids = (JSON.parse(io.stdout.join('')) as { value: Array<{ id: string }> }).value.map((w) => w.id);
    expect(ids).toEqual(expect.arrayContaining(['credit-memo', 'kyc-periodic-review', 'sar-narrative']));
  });
});
