import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBridge } from '../api/index.ts';
import { rolePermissions } from '../contracts/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import { instantModel } from './testing/instantModel.ts';

let core: Core | undefined;
afterEach(async () => { await core?.dispose(); });

describe('a default core', () => {
  it('gives workflows the built-in tools: customer lookup on the sample table, calculator, date arithmetic', async () => {
    const shipped = mkdtempSync(join(tmpdir(), 'strongroom-builtins-'));
    writeFileSync(join(shipped, 'tools.yaml'), `id: tools
name: Built-in tools
inputs: {type: object}
steps:
  - {id: ratio, kind: tool, tool: calculator, args: {expression: {value: "(1250000 - 200000) / 860000"}}}
  - {id: due, kind: tool, tool: date_math, args: {date: {value: "2024-01-31"}, addMonths: {value: 1}}}
  - {id: missing, kind: tool, tool: customer_lookup, args: {customerId: {value: "no-such-customer"}}}
`);
    core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'strongroom-builtins-data-')), mode: 'test', heartbeatMs: 0, secrets: new MemorySecretStore(), shippedWorkflowsDir: shipped, models: () => instantModel() });
    const accountId = core.storage!.accounts.list()[0]!.id;
    const api = createInProcessBridge(core.router, core.events, core.sessions.create({ kind: 'user', userId: 'u', displayName: 'U', accountId, roles: ['analyst'], permissions: new Set(rolePermissions.analyst), installationAdmin: false }).id);
    const started = await api.invoke('runs.start', { workflowId: 'tools', input: {} });
    if (!started.ok) throw new Error(started.error.message);
    let run = await api.invoke('runs.get', { runId: started.value.id });
    for (let i = 0; i < 200 && run.ok && run.value.status === 'running'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      run = await api.invoke('runs.get', { runId: started.value.id });
    }
    if (!run.ok) throw new Error(run.error.message);
    expect(run.value.status).toBe('completed');
    const outputs = Object.fromEntries(run.value.steps.map((s) => [s.path, s.output]));
    expect(outputs.ratio).toMatchObject({ value: expect.stringMatching(/^1\.2209302326/) as string });
    expect(outputs.due).toMatchObject({ date: '2024-02-29' });
    expect(outputs.missing).toMatchObject({ found: false });
  });
});
