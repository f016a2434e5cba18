import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appMigrations } from '../storage/index.ts';
import { main } from './main.ts';
import { capture } from './testing.ts';

const argv = (...args: string[]) => ['node', 'strongroom', ...args];
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-storage-'));
  dirs.push(dir);
  return dir;
}

async function run(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  const io = capture();
  const code = await main(argv(...args), io, env);
  let json: Record<string, unknown> = {};
  if (args.includes('--json')) json = JSON.parse(io.stdout.join('')) as Record<string, unknown>;
  return { code, json, stderr: io.stderr.join('') };
}

describe('strongroom init / doctor / backup / restore / keys rotate', () => {
  it('init then doctor report healthy with STRONGROOM_MASTER_KEY, and never print the key', async () => {
    const key = randomBytes(32).toString('base64');
    const env = { STRONGROOM_MASTER_KEY: key };
    const dataDir = join(temp(), 'data');
    const init = await run(env, 'init', '--data-dir', dataDir, '--json');
    expect(init.code).toBe(0);
    expect(init.json).toMatchObject({ ok: true, created: true, secrets: { backend: 'environment' }, accounts: [{ name: 'Default' }], schemaVersion: appMigrations.length });
    expect(init.stderr).toMatch(/warning: .*STRONGROOM_MASTER_KEY/);
    const again = await run(env, 'init', '--data-dir', dataDir, '--json');
    expect(again.json).toMatchObject({ ok: true, created: false });
    const doctor = await run(env, 'doctor', '--data-dir', dataDir, '--json');
    expect(doctor.code).toBe(0);
    expect(doctor.json.status).toBe('ok');
    expect((doctor.json.checks as { name: string; status: string }[]).map((c) => `${c.name}:${c.status}`).slice(0, -1)).toEqual(['secrets:ok', 'database:ok', 'integrity:ok', 'foreign-keys:ok', 'schema:ok', 'installation:ok', 'master-key:ok', 'data-keys:ok']);
    // Last, the free space where the data directory lives (its status depends on the machine).
    expect((doctor.json.checks as { name: string }[]).at(-1)?.name).toBe('disk-space');
    for (const output of [init, again, doctor]) expect(JSON.stringify(output)).not.toContain(key);
  });

  it('doctor fails with a fix when the data dir was never initialised, or the key is wrong', async () => {
    const dataDir = temp();
    const missing = await run({ STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') }, 'doctor', '--data-dir', dataDir, '--json');
    expect(missing.code).toBe(1);
    expect(JSON.stringify(missing.json.checks)).toContain('strongroom init');
    await run({ STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') }, 'init', '--data-dir', dataDir);
    const wrong = await run({ STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') }, 'doctor', '--data-dir', dataDir, '--json');
    expect(wrong.code).toBe(1);
    expect(JSON.stringify(wrong.json.checks)).toContain('ERR_SECRETS_KEY_MISMATCH');
    const invalid = await run({ STRONGROOM_MASTER_KEY: 'short' }, 'init', '--data-dir', temp(), '--json');
    expect(invalid).toMatchObject({ code: 1, json: { ok: false, error: { code: 'ERR_SECRETS_INVALID' } } });
  });

  it('backs up, refuses to overwrite a live database without --force, restores with it, and rotates keys', async () => {
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const root = temp();
    const dataDir = join(root, 'data');
    await run(env, 'init', '--data-dir', dataDir);
    const backupFile = join(root, 'backup.sqlite');
    const backup = await run(env, 'backup', '--out', backupFile, '--data-dir', dataDir, '--json');
    expect(backup).toMatchObject({ code: 0, json: { ok: true, file: backupFile, schemaVersion: appMigrations.length } });
    expect((await run(env, 'backup', '--out', backupFile, '--data-dir', dataDir, '--json')).json).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });

    const rotate = await run(env, 'keys', 'rotate', '--account', 'Default', '--data-dir', dataDir, '--json');
    expect(rotate).toMatchObject({ code: 0, json: { ok: true, rotations: [{ account: 'Default', keyVersion: 2 }] } });
    expect((await run(env, 'keys', 'rotate', '--account', 'Nope', '--data-dir', dataDir, '--json')).json).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });

    const refused = await run(env, 'restore', backupFile, '--data-dir', dataDir, '--json');
    expect(refused.json).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT' } });
    const restored = await run(env, 'restore', backupFile, '--data-dir', dataDir, '--force', '--json');
    expect(restored).toMatchObject({ code: 0, json: { ok: true, schemaVersion: appMigrations.length } });
    expect(existsSync(String(restored.json.previous))).toBe(true);
    // The restored database is the backup: one data key version again, and healthy.
    const doctor = await run(env, 'doctor', '--data-dir', dataDir, '--json');
    expect(doctor.json.status).toBe('ok');
    expect(JSON.stringify(doctor.json.checks)).toContain('1 data key(s) unwrap');
    // A backup whose master key is not available is refused before anything is replaced.
    const other = await run({ STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') }, 'restore', backupFile, '--data-dir', join(root, 'elsewhere'), '--json');
    expect(other.json).toMatchObject({ ok: false, error: { code: 'ERR_SECRETS_KEY_MISSING' } });
    expect(existsSync(join(root, 'elsewhere', 'strongroom.db'))).toBe(false);
  });

  it('restore refuses while another process has the database open', async () => {
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const root = temp();
    const dataDir = join(root, 'data');
    await run(env, 'init', '--data-dir', dataDir);
    await run(env, 'backup', '--out', join(root, 'b.sqlite'), '--data-dir', dataDir);
    const { openDatabase } = await import('../storage/index.ts');
    const holder = openDatabase(join(dataDir, 'strongroom.db'));
    try {
      const busy = await run(env, 'restore', join(root, 'b.sqlite'), '--data-dir', dataDir, '--force', '--json');
      expect(busy.json).toMatchObject({ ok: false, error: { code: 'ERR_STORAGE_UNAVAILABLE' } });
    } finally {
      holder.close();
    }
    expect(readdirSync(dataDir).filter((name) => name.includes('before-restore'))).toEqual([]);
  });

  it('stops with an error naming the fix when the keychain is unreachable and no key variable is set, and writes no key anywhere', () => {
    const dataDir = temp();
    const bin = new URL('../../bin/strongroom.js', import.meta.url).pathname;
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dataDir, 'no-bus')}` };
    const result = spawnSync(process.execPath, [bin, 'init', '--data-dir', dataDir], { env, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERR_SECRETS_UNAVAILABLE');
    expect(result.stderr).toMatch(/gnome-keyring.*STRONGROOM_MASTER_KEY/);
    expect(readdirSync(dataDir).filter((name) => /key/i.test(name))).toEqual([]);
    // Nor a half-made database that doctor would then take for an installation.
    expect(readdirSync(dataDir)).toEqual([]);
    const doctor = spawnSync(process.execPath, [bin, 'doctor', '--data-dir', dataDir, '--json'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(doctor.status).toBe(1);
    expect(JSON.parse(doctor.stdout)).toMatchObject({ ok: false, checks: [{ name: 'secrets', status: 'failed' }, { name: 'database', status: 'failed', detail: expect.stringContaining('strongroom init') as string }, { name: 'disk-space' }] });
  });

  it('createCore opens storage on first run, reports it in system.health, and closes it on dispose', async () => {
    const { createCore } = await import('../createCore.ts');
    const { createInProcessBridge, localOperator } = await import('../api/index.ts');
    const core = await createCore({ dataDir: join(temp(), 'fresh'), mode: 'test', heartbeatMs: 0 });
    const storage = core.storage;
    expect(storage?.firstRun.database).toBe(true);
    const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    const health = await bridge.invoke('system.health', {});
    expect(health.ok && health.value.checks.find((check) => check.name === 'storage')).toMatchObject({ status: 'ok' });
    await core.dispose();
    expect(storage?.db.open).toBe(false);
  });
});
