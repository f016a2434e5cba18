import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { localOperator } from '../../core/api/index.ts';
import type { Principal } from '../../core/api/index.ts';
import { createCore } from '../../core/index.ts';
import type { HostToMainMessage } from '../shared/coreHostProtocol.ts';
import { memorySessionSlot } from '../../core/identity/index.ts';
import { dataDirFrom } from './hostArgs.ts';
import { createCoreHostHandler } from './messageHandler.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The handler over a real core, with a session for `principal` (the local operator by default). */
async function host(options: { principal?: Principal; heartbeatMs?: number } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-corehost-'));
  // Mode 'test' keeps the master key in memory; the handler does not care about the mode.
  const core = await createCore({ dataDir, mode: 'test', heartbeatMs: options.heartbeatMs ?? 0 });
  const session = core.sessions.create(options.principal ?? localOperator());
  const posted: HostToMainMessage[] = [];
  const handler = createCoreHostHandler(core, memorySessionSlot(session.id), (message) => posted.push(message));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => core.dispose(), () => handler.dispose());
  return { core, session, handler, posted, dataDir };
}

describe('core host message handler', () => {
  it('starts signed out; a local sign-in binds the session to the window and sign-out clears it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-corehost-'));
    const core = await createCore({ dataDir, mode: 'test', heartbeatMs: 0 });
    const slot = memorySessionSlot();
    const posted: HostToMainMessage[] = [];
    const handler = createCoreHostHandler(core, slot, (message) => posted.push(message));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }), () => core.dispose(), () => handler.dispose());
    await core.identity!.setLocalPassphrase('desktop passphrase 1');

    await handler.handle({ kind: 'call', id: 'a', method: 'system.info', input: {} });
    await handler.handle({ kind: 'call', id: 'b', method: 'auth.signInLocal', input: { passphrase: 'desktop passphrase 1' } });
    expect(slot.get()).toEqual(expect.any(String));
    await handler.handle({ kind: 'call', id: 'c', method: 'system.info', input: {} });
    await handler.handle({ kind: 'call', id: 'd', method: 'auth.signOut', input: {} });
    expect(slot.get()).toBeNull();
    await handler.handle({ kind: 'call', id: 'e', method: 'system.info', input: {} });
    expect(posted.filter((message) => message.kind === 'result')).toMatchObject([
      { id: 'a', result: { ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } } },
      { id: 'b', result: { ok: true, value: { signedIn: true } } },
      { id: 'c', result: { ok: true } },
      { id: 'd', result: { ok: true } },
      { id: 'e', result: { ok: false, error: { code: 'ERR_AUTH_UNAUTHENTICATED' } } },
    ]);
    // The window hears that its session ended, and why (the desktop has one session per window).
    expect(posted.filter((message) => message.kind === 'event')).toMatchObject([{ kind: 'event', name: 'auth.sessionEnded', payload: { reason: 'signed-out' } }]);
  });

  it('answers a call through the real router, keeping the request id', async () => {
    const { handler, posted, dataDir } = await host();
    expect(await handler.handle({ kind: 'call', id: 'req-1', method: 'system.info', input: {} })).toBe('handled');
    expect(posted).toHaveLength(1);
    expect(posted).toMatchObject([{ kind: 'result', id: 'req-1', result: { ok: true, value: { name: 'Strongroom', mode: 'test', dataDir } } }]);
  });

  it('returns the router’s typed errors as data', async () => {
    const { handler, posted } = await host();
    await handler.handle({ kind: 'call', id: 'a', method: 'system.nope', input: {} });
    await handler.handle({ kind: 'call', id: 'b', method: 'system.info', input: { unexpected: true } });
    expect(posted).toHaveLength(2);
    expect(posted).toMatchObject([
      { kind: 'result', id: 'a', result: { ok: false, error: { code: 'ERR_API_UNKNOWN_METHOD' } } },
      { kind: 'result', id: 'b', result: { ok: false, error: { code: 'ERR_INPUT_INVALID' } } },
    ]);
  });

  it('authorizes with the host session’s principal', async () => {
    const nobody: Principal = { ...localOperator(), userId: 'nobody', permissions: new Set() };
    const { handler, posted } = await host({ principal: nobody });
    await handler.handle({ kind: 'call', id: 'x', method: 'system.info', input: {} });
    expect(posted).toHaveLength(1);
    expect(posted).toMatchObject([{ kind: 'result', id: 'x', result: { ok: false, error: { code: 'ERR_AUTH_FORBIDDEN' } } }]);
  });

  it('reports shutdown and ignores malformed messages without answering', async () => {
    const { handler, posted } = await host();
    expect(await handler.handle({ kind: 'shutdown' })).toBe('shutdown');
    for (const message of [null, 'system.info', { kind: 'call', method: 'system.info' }, { kind: 'call', id: 1, method: 'system.info' }, { kind: 'exec', id: 'x' }]) {
      expect(await handler.handle(message)).toBe('ignored');
    }
    expect(posted).toEqual([]);
  });

  it('forwards core events the session may receive, and stops after dispose', async () => {
    const { core, handler, posted } = await host();
    core.events.publish('system.heartbeat', { at: '2026-11-21T00:00:00.000Z', uptimeMs: 10 });
    expect(posted).toEqual([{ kind: 'event', name: 'system.heartbeat', payload: { at: '2026-11-21T00:00:00.000Z', uptimeMs: 10 } }]);
    handler.dispose();
    core.events.publish('system.heartbeat', { at: '2026-11-21T00:00:01.000Z', uptimeMs: 11 });
    expect(posted).toHaveLength(1);
  });

  it('does not forward events the session may not receive', async () => {
    const { core, posted } = await host({ principal: { ...localOperator(), permissions: new Set() } });
    core.events.publish('system.heartbeat', { at: '2026-11-21T00:00:00.000Z', uptimeMs: 10 });
    expect(posted).toEqual([]);
  });

  it('forwards the real heartbeat createCore publishes', async () => {
    const { posted } = await host({ heartbeatMs: 5 });
    await expect.poll(() => posted.some((message) => message.kind === 'event' && message.name === 'system.heartbeat')).toBe(true);
  });
});

describe('dataDirFrom', () => {
  it('prefers --data-dir from main, then STRONGROOM_DATA_DIR', () => {
    expect(dataDirFrom(['node', 'coreHost.js', '--data-dir=/srv/strongroom'], { STRONGROOM_DATA_DIR: '/env' })).toBe('/srv/strongroom');
    expect(dataDirFrom(['node', 'coreHost.js'], { STRONGROOM_DATA_DIR: '/env' })).toBe('/env');
    expect(dataDirFrom(['node', 'coreHost.js', '--data-dir='], { STRONGROOM_DATA_DIR: '/env' })).toBe('/env');
  });
});
