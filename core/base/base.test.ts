import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DisposableStore } from './disposable.ts';
import { EventBus } from './events.ts';
import { createLogger } from './logger.ts';
import { defaultDataDir } from './paths.ts';

describe('DisposableStore', () => {
  it('disposes in reverse order, once, and reports failures after disposing the rest', async () => {
    const store = new DisposableStore();
    const order: string[] = [];
    store.defer(() => { order.push('first'); });
    store.defer(() => { throw new Error('second failed'); });
    store.defer(async () => { order.push('third'); });
    await expect(store.dispose()).rejects.toThrow('second failed');
    expect(order).toEqual(['third', 'first']);
    await store.dispose();
    expect(order).toEqual(['third', 'first']);
    expect(() => store.defer(() => undefined)).toThrow(/already disposed/);
  });
});

describe('EventBus', () => {
  it('replays the latest payload of replayLatest events to new subscribers and isolates failing listeners', () => {
    const bus = new EventBus();
    bus.publish('system.heartbeat', { at: 'a', uptimeMs: 1 });
    bus.publish('system.heartbeat', { at: 'b', uptimeMs: 2 });
    bus.subscribe(() => { throw new Error('broken listener'); });
    const seen: unknown[] = [];
    const unsubscribe = bus.subscribe((_event, payload) => seen.push(payload));
    expect(seen).toEqual([{ at: 'b', uptimeMs: 2 }]);
    bus.publish('system.heartbeat', { at: 'c', uptimeMs: 3 });
    unsubscribe();
    bus.publish('system.heartbeat', { at: 'd', uptimeMs: 4 });
    expect(seen).toEqual([{ at: 'b', uptimeMs: 2 }, { at: 'c', uptimeMs: 3 }]);
  });
});

describe('logger', () => {
  it('writes JSON lines to the data directory and redacts secret and content fields', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-log-'));
    const { logger, close } = createLogger({ dataDir });
    logger.info({ requestId: 'r-1', token: 'tok-SECRET', authorization: 'Bearer tok-SECRET', headers: { authorization: 'Bearer tok-SECRET' }, input: { memo: 'ACME owes' }, nested: { password: 'pw-SECRET' } }, 'api call');
    await close();
    const files = readdirSync(join(dataDir, 'logs'));
    expect(files).toContain('strongroom.log');
    const text = readFileSync(join(dataDir, 'logs', 'strongroom.log'), 'utf8');
    const line = JSON.parse(text.trim().split('\n')[0] ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ requestId: 'r-1', msg: 'api call' });
    for (const secret of ['tok-SECRET', 'ACME owes', 'pw-SECRET']) expect(text).not.toContain(secret);
  });
});

describe('defaultDataDir', () => {
  it('follows Electron userData conventions per platform and honours STRONGROOM_DATA_DIR', () => {
    expect(defaultDataDir({ STRONGROOM_DATA_DIR: '/srv/strongroom' }, 'linux')).toBe('/srv/strongroom');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/home/a/.config' }, 'linux')).toBe(join('/home/a/.config', 'Strongroom'));
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library[\\/]Application Support[\\/]Strongroom$/);
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toContain('Strongroom');
  });
});
