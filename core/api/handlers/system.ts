import type { RunMode } from '../../contracts/index.ts';
import { buildInfo } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import type { MethodHandlers } from '../router.ts';

export interface HealthCheck {
  name: string;
  check(): { status: 'ok' | 'degraded' | 'failed'; detail?: string };
}

export interface SystemHandlerDeps {
  mode: RunMode;
  dataDir: string;
  clock: Clock;
  startedAt: number;
  healthChecks: readonly HealthCheck[];
}

export function systemHandlers(deps: SystemHandlerDeps): Pick<MethodHandlers, 'system.info' | 'system.health'> {
  return {
    'system.info': (_input, { principal }) => {
      const build = buildInfo();
      return {
        name: 'Strongroom',
        version: build.version,
        mode: deps.mode,
        // A path on the server says where to look for its files: installation administrators and
        // the local operator (CLI) need it, the people of the accounts do not.
        dataDir: principal.installationAdmin || principal.kind !== 'user' ? deps.dataDir : null,
        build: {
          commit: build.commit,
          builtAt: build.builtAt,
          node: process.versions.node,
          platform: process.platform,
          arch: process.arch,
        },
      };
    },
    'system.health': () => {
      const checks = deps.healthChecks.map((healthCheck) => {
        try {
          return { name: healthCheck.name, ...healthCheck.check() };
        } catch {
          return { name: healthCheck.name, status: 'failed' as const, detail: 'The check itself failed.' };
        }
      });
      const status = checks.some((c) => c.status === 'failed') ? 'failed' : checks.some((c) => c.status === 'degraded') ? 'degraded' : 'ok';
      return { status, uptimeMs: Math.max(0, Math.round(deps.clock.now() - deps.startedAt)), checks };
    },
  };
}
