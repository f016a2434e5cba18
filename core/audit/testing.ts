import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessBridge, localOperator } from '../api/index.ts';
import type { Principal } from '../api/index.ts';
import type { Clock } from '../base/index.ts';
import type { MethodInput, MethodName, MethodOutput, Role, StrongroomBridge } from '../contracts/index.ts';
import { installationPermissions, rolePermissions } from '../contracts/index.ts';
import { createCore } from '../createCore.ts';
import type { Core } from '../createCore.ts';
import { MemorySecretStore } from '../secrets/index.ts';
import type { SecretStore } from '../secrets/index.ts';

/** A fresh directory under the OS temp dir, removed by `cleanup`. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), `strongroom-audit-${prefix}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A clock tests move by hand (retention, checkpoint intervals). */
export function manualClock(start = Date.UTC(2026, 0, 5, 9, 0, 0)): Clock & { advance(ms: number): void; set(ms: number): void } {
  let now = start;
  let monotonic = 0;
  return {
    now: () => now,
    monotonic: () => monotonic,
    advance(ms) {
      now += ms;
      monotonic += ms;
    },
    set(ms) {
      now = ms;
    },
  };
}

export async function openCore(dataDir: string, options: { clock?: Clock; secrets?: SecretStore; every?: number; intervalMs?: number } = {}): Promise<Core> {
  return createCore({
    dataDir,
    mode: 'test',
    heartbeatMs: 0,
    secrets: options.secrets ?? new MemorySecretStore(),
    ...(options.clock ? { clock: options.clock } : {}),
    auditCheckpoints: { ...(options.every ? { every: options.every } : {}), ...(options.intervalMs ? { intervalMs: options.intervalMs } : {}) },
  });
}

/** A principal holding one role in one account, as the identity service would build it. */
export function principalFor(accountId: string, role: Role, options: { userId?: string; installationAdmin?: boolean } = {}): Principal {
  return {
    kind: 'user',
    userId: options.userId ?? `user-${role}-${accountId.slice(0, 8)}`,
    displayName: `Test ${role}`,
    accountId,
    roles: [role],
    permissions: new Set(rolePermissions[role].filter((p) => options.installationAdmin === true || !installationPermissions.includes(p))),
    installationAdmin: options.installationAdmin ?? false,
  };
}

/** Calls the API as a principal and unwraps the result (throws with the error code on failure). */
export function apiAs(core: Core, principal: Principal = localOperator()): { bridge: StrongroomBridge; call: <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>> } {
  const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(principal).id);
  return {
    bridge,
    async call(method, input) {
      const result = await bridge.invoke(method, input);
      if (!result.ok) throw Object.assign(new Error(`${result.error.code}: ${result.error.message}`), { code: result.error.code });
      return result.value;
    },
  };
}
