import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../../api/index.ts';
import type { Logger } from '../../base/index.ts';
import { createInProcessBridge } from '../../api/index.ts';
import type { MethodInput, MethodName, MethodOutput, Role, StrongroomBridge } from '../../contracts/index.ts';
import { installationPermissions, rolePermissions } from '../../contracts/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import type { ModelProvider } from '../../models/index.ts';
import { MemorySecretStore } from '../../secrets/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import type { GuardrailPolicies, StepCache } from '../middleware.ts';
import type { Tool } from '../tools.ts';
import { counterTool } from './counterTool.ts';

export interface Harness {
  core: Core;
  api: StrongroomBridge;
  accountId: string;
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  /** Calls as another member of the same account (default: analyst and reviewer) — a second person, another role. */
  as(userId: string, roles?: Role[]): <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>;
  /** Waits for the run's current execution to settle, then returns its detail. */
  settle(runId: string): Promise<MethodOutput<'runs.get'>>;
}

/**
 * A core for engine tests: the given workflows as the shipped set, a model, and the counter tool
 * (plus any others), signed in as an analyst-and-reviewer of the default account.
 */
export async function harness(options: { workflows: Record<string, string>; model: ModelProvider; models?: (modelId: string | null, accountId: string, classification?: 'public' | 'internal' | 'confidential' | 'restricted') => ModelProvider; tools?: Tool[]; dataDir?: string; secrets?: SecretStore; resume?: boolean; logger?: Logger; tracing?: boolean; lease?: { refreshMs?: number; staleMs?: number }; stepCache?: StepCache; guardrails?: GuardrailPolicies }): Promise<Harness> {
  const shipped = mkdtempSync(join(tmpdir(), 'strongroom-workflows-'));
  for (const [name, text] of Object.entries(options.workflows)) writeFileSync(join(shipped, `${name}.yaml`), text);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'strongroom-engine-'));
  mkdirSync(dataDir, { recursive: true });
  let counter: Tool | undefined;
  const extra = new Map((options.tools ?? []).map((t) => [t.name, t]));
  const core: Core = await createCore({
    dataDir,
    mode: 'test',
    heartbeatMs: 0,
    secrets: options.secrets ?? new MemorySecretStore(),
    shippedWorkflowsDir: shipped,
    models: options.models ?? (() => options.model),
    tools: {
      get: (name) => (name === 'counter' ? (counter ??= counterTool(core.storage!.db) as Tool) : extra.get(name)),
      list: () => [...extra.values()],
    },
    // Resume only once everything below exists (a resumed run may reach a tool step at once).
    resumeInterruptedRuns: false,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.tracing === false ? { tracing: false } : {}),
    ...(options.lease ? { runLease: options.lease } : {}),
    ...(options.stepCache ? { stepCache: options.stepCache } : {}),
    ...(options.guardrails ? { guardrails: options.guardrails } : {}),
  });
  if (options.resume) core.workflows!.recoverAll();
  const accountId = core.storage!.accounts.list()[0]!.id;
  const principalFor = (userId: string, roles: Role[] = ['analyst', 'reviewer']): Principal => ({ kind: 'user', userId, displayName: userId === 'analyst-1' ? 'Analyst' : userId, accountId, roles, permissions: new Set(roles.flatMap((role) => rolePermissions[role].filter((p) => !installationPermissions.includes(p)))), installationAdmin: false });
  const caller = (bridge: StrongroomBridge) => async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    const result = await bridge.invoke(method, input);
    if (!result.ok) throw Object.assign(new Error(`${method}: ${result.error.code} ${result.error.message}`), { code: result.error.code, details: result.error.details });
    return result.value;
  };
  const api = createInProcessBridge(core.router, core.events, core.sessions.create(principalFor('analyst-1')).id);
  const call = caller(api);
  return {
    core,
    api,
    accountId,
    call,
    as: (userId, roles) => caller(createInProcessBridge(core.router, core.events, core.sessions.create(principalFor(userId, roles)).id)),
    async settle(runId) {
      for (let i = 0; i < 2000; i += 1) {
        const run = await call('runs.get', { runId });
        if (run.status !== 'running') return run;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error(`run ${runId} did not settle`);
    },
  };
}
