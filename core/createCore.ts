import type { RunMode } from './contracts/index.ts';
import { DisposableStore, EventBus, silentLogger, systemClock } from './base/index.ts';
import type { Clock, Logger } from './base/index.ts';
import { createRouter, SessionRegistry, systemHandlers } from './api/index.ts';
import type { AuditHook, HealthCheck, MethodHandlers, Router } from './api/index.ts';
import { MemorySecretStore, resolveSecretStore } from './secrets/index.ts';
import type { SecretStore } from './secrets/index.ts';
import { openStorage } from './storage/index.ts';
import type { Storage } from './storage/index.ts';

export interface CoreConfig {
  dataDir: string;
  mode: RunMode;
  logger?: Logger;
  clock?: Clock;
  audit?: AuditHook;
  /** How often `system.heartbeat` is published; 0 disables it. */
  heartbeatMs?: number;
  /**
   * Where the master key lives. Default: STRONGROOM_MASTER_KEY if set (with a warning), else the
   * OS keychain — except `mode: 'test'`, which defaults to an in-memory store.
   */
  secrets?: SecretStore;
  /**
   * Open the encrypted database in `dataDir` (default true). The first start in an empty data
   * directory creates it, the master key, a default account and the local administrator. Only
   * commands that never touch data (`strongroom info`) pass false.
   */
  storage?: boolean;
}

export interface Core {
  readonly config: CoreConfig;
  readonly router: Router;
  readonly events: EventBus;
  readonly sessions: SessionRegistry;
  readonly logger: Logger;
  /** The open database and key ring; null only when created with `storage: false`. */
  readonly storage: Storage | null;
  dispose(): Promise<void>;
}

/**
 * The composition root: builds storage → repositories → services → router by hand, in one place.
 * Every host (Electron's core process, serve mode, the CLI, tests) starts here.
 */
export async function createCore(config: CoreConfig): Promise<Core> {
  const disposables = new DisposableStore();
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? silentLogger();
  const events = new EventBus();
  const sessions = new SessionRegistry(() => clock.now());
  const startedAt = clock.now();
  const healthChecks: HealthCheck[] = [{ name: 'core', check: () => ({ status: 'ok' }) }];

  let storage: Storage | null = null;
  if (config.storage !== false) {
    const secrets = config.secrets ?? (config.mode === 'test' ? new MemorySecretStore() : resolveSecretStore({ logger }));
    storage = disposables.add(await openStorage({ dataDir: config.dataDir, secrets, clock, logger }));
    const opened = storage;
    healthChecks.push({ name: 'storage', check: () => opened.health() });
  }

  const handlers: MethodHandlers = {
    ...systemHandlers({ mode: config.mode, dataDir: config.dataDir, clock, startedAt, healthChecks }),
  };
  const router = createRouter({ handlers, sessions, logger, ...(config.audit ? { audit: config.audit } : {}) });

  const heartbeatMs = config.heartbeatMs ?? 15_000;
  if (heartbeatMs > 0) {
    const beat = (): void => {
      events.publish('system.heartbeat', { at: new Date(clock.now()).toISOString(), uptimeMs: Math.max(0, Math.round(clock.now() - startedAt)) });
    };
    beat();
    const timer = setInterval(beat, heartbeatMs);
    timer.unref();
    disposables.defer(() => clearInterval(timer));
  }

  return {
    config,
    router,
    events,
    sessions,
    logger,
    storage,
    dispose: () => disposables.dispose(),
  };
}
