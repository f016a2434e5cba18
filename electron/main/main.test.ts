// The composition in main.ts, run against stand-ins for Electron's modules (the real runtime
// cannot launch on CI): what is registered before `ready`, what after, and that quitting
// waits for the core host.
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { invokeChannel, subscribeChannel, unsubscribeChannel } from '../shared/ipcChannels.ts';

const fake = await vi.hoisted(async () => {
  // Hoisted above the imports, so it loads what it needs itself.
  const { EventEmitter: Emitter } = await import('node:events');
  process.env.STRONGROOM_LOG_LEVEL = 'silent';
  const steps: string[] = [];
  const appEvents = new Emitter();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const state = {
    steps,
    appEvents,
    markReady,
    isReady: false,
    quits: 0,
    userData: '',
    privileged: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    permissionHandlers: [] as string[],
    ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>(),
    forks: [] as Array<{ path: string; args: string[]; child: InstanceType<typeof Emitter> & { posted: unknown[] } }>,
    errorBoxes: [] as Array<[string, string]>,
    windows: [] as Array<{ options: { webPreferences?: Record<string, unknown> }; url?: string; webContents: { id: number; mainFrame: unknown } }>,
  };
  class FakeWindow extends Emitter {
    readonly webContents = { id: 100 + state.windows.length, mainFrame: null };
    readonly options: { webPreferences?: Record<string, unknown> };
    url?: string;
    constructor(options: { webPreferences?: Record<string, unknown> }) {
      super();
      this.options = options;
      steps.push('window');
      state.windows.push(this);
    }
    loadURL(url: string): Promise<void> {
      this.url = url;
      return Promise.resolve();
    }
    show(): void {}
    focus(): void {}
    restore(): void {}
    isMinimized(): boolean { return false; }
    isDestroyed(): boolean { return false; }
  }
  const module = {
    app: {
      isPackaged: true,
      setName: () => undefined,
      setPath: (name: string, path: string) => { if (name === 'userData') state.userData = path; },
      getPath: () => state.userData,
      requestSingleInstanceLock: () => { steps.push('single-instance'); return true; },
      on: (event: string, listener: (...args: unknown[]) => void) => { steps.push(`app.on ${event}`); appEvents.on(event, listener); },
      whenReady: () => ready,
      isReady: () => state.isReady,
      quit: () => { state.quits += 1; },
      exit: () => undefined,
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => { steps.push('privileged-schemes'); state.privileged.push(...schemes); },
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => { steps.push('protocol.handle'); state.protocolHandlers.set(scheme, handler); },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => { steps.push('permissions'); state.permissionHandlers.push('request'); },
        setPermissionCheckHandler: () => { state.permissionHandlers.push('check'); },
      },
    },
    ipcMain: {
      handle: (channel: string, listener: (event: unknown, ...args: unknown[]) => Promise<unknown>) => { steps.push(`ipc ${channel}`); state.ipcHandlers.set(channel, listener); },
      removeHandler: (channel: string) => state.ipcHandlers.delete(channel),
    },
    utilityProcess: {
      fork: (path: string, args: string[]) => {
        steps.push('fork');
        const child = Object.assign(new Emitter(), { posted: [] as unknown[], postMessage: (message: unknown) => child.posted.push(message), kill: () => true });
        state.forks.push({ path, args, child });
        return child;
      },
    },
    BrowserWindow: FakeWindow,
    dialog: { showErrorBox: (title: string, content: string) => { state.errorBoxes.push([title, content]); } },
    shell: { openExternal: () => Promise.resolve() },
  };
  return { state, module };
});
vi.mock('electron', () => fake.module);

const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-main-'));
process.env.STRONGROOM_DATA_DIR = dataDir;
await import('./main.ts');
const { state } = fake;
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('main.ts composition', () => {
  it('before ready: privileged app:// scheme, data dir, single-instance lock and the navigation guard; no window', () => {
    expect(state.privileged).toEqual([expect.objectContaining({ scheme: 'app' })]);
    expect(state.userData).toBe(dataDir);
    expect(state.steps).toEqual(['privileged-schemes', 'single-instance', 'app.on second-instance', 'app.on web-contents-created']);
    expect(state.windows).toHaveLength(0);
  });

  it('on ready: permissions, protocol, core host and IPC relay are in place before the window opens', async () => {
    state.isReady = true;
    state.markReady();
    await flush();
    const windowAt = state.steps.indexOf('window');
    for (const step of ['permissions', 'protocol.handle', 'fork', `ipc ${invokeChannel}`, `ipc ${subscribeChannel}`, `ipc ${unsubscribeChannel}`]) {
      expect(state.steps.indexOf(step), step).toBeGreaterThan(-1);
      expect(state.steps.indexOf(step), step).toBeLessThan(windowAt);
    }
    expect(state.permissionHandlers).toEqual(['request', 'check']);
    expect([...state.protocolHandlers.keys()]).toEqual(['app']);
    expect(state.forks[0]?.path).toMatch(/coreHost\.js$/);
    expect(state.forks[0]?.args).toEqual([`--data-dir=${dataDir}`]);
    const window = state.windows[0];
    expect(window?.url).toBe('app://strongroom/');
    expect(window?.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, devTools: false });
    expect(String(window?.options.webPreferences?.preload)).toMatch(/preload\.cjs$/);
  });

  it('guards every new webContents', () => {
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    state.appEvents.emit('web-contents-created', {}, contents);
    let prevented = false;
    contents.emit('will-navigate', { url: 'https://evil.example/', preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(contents.setWindowOpenHandler).toHaveBeenCalledOnce();
  });

  it('relays an invoke from the window to the core host and back', async () => {
    const child = state.forks[0]?.child;
    const window = state.windows[0];
    const handler = state.ipcHandlers.get(invokeChannel);
    if (!child || !window || !handler) throw new Error('not wired');
    child.emit('message', { kind: 'ready' });
    const result = handler({ sender: Object.assign(new EventEmitter(), { id: window.webContents.id, send: () => undefined, isDestroyed: () => false }), senderFrame: { url: 'app://strongroom/', parent: null } }, 'system.info', {});
    const call = child.posted.find((message): message is { kind: 'call'; id: string } => (message as { kind?: string }).kind === 'call');
    expect(call).toMatchObject({ kind: 'call', method: 'system.info', input: {} });
    child.emit('message', { kind: 'result', id: call?.id, result: { ok: true, value: 'relayed' } });
    expect(await result).toEqual({ ok: true, value: 'relayed' });
  });

  it('on quit: holds the quit, shuts the core host down, then quits', async () => {
    const child = state.forks[0]?.child;
    if (!child) throw new Error('no core host');
    let prevented = false;
    state.appEvents.emit('will-quit', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    expect(child.posted.at(-1)).toEqual({ kind: 'shutdown' });
    expect(state.quits).toBe(0);
    child.emit('exit', 0);
    await flush();
    expect(state.quits).toBe(1);
    expect(state.ipcHandlers.size).toBe(0);
  });
});

describe('main.ts when the core cannot start', () => {
  it('shows the core’s own message and code with the log file, quits, and never restarts the core', async () => {
    // A fresh launch of main against the same stand-ins (the first one has quit above).
    vi.resetModules();
    const forks = state.forks.length;
    const quits = state.quits;
    await import('./main.ts');
    await flush();
    expect(state.forks).toHaveLength(forks + 1);
    const child = state.forks.at(-1)!.child;
    const message = 'The OS keychain is not reachable (no Secret Service): install and unlock gnome-keyring, or set STRONGROOM_MASTER_KEY.';
    child.emit('message', { kind: 'startupFailed', error: { code: 'ERR_SECRETS_UNAVAILABLE', message } });
    expect(state.errorBoxes).toEqual([['Strongroom cannot start', expect.stringContaining(message) as string]]);
    expect(state.errorBoxes[0]![1]).toContain('ERR_SECRETS_UNAVAILABLE');
    expect(state.errorBoxes[0]![1]).toContain(join(dataDir, 'logs', 'strongroom.log'));
    expect(state.errorBoxes[0]![1]).not.toMatch(/stopped working|send the log file/);
    expect(child.posted.at(-1)).toEqual({ kind: 'shutdown' });
    expect(state.quits).toBe(quits + 1);
    child.emit('exit', 78);
    await flush();
    expect(state.forks).toHaveLength(forks + 1);
    expect(state.errorBoxes).toHaveLength(1);
  });
});
