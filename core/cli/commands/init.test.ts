import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { capture } from '../testing.ts';
import { secretsFor } from './common.ts';
import { announceFirstRunPassphrase } from './firstRun.ts';
import { initCommand } from './init.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-init-'));
  dirs.push(root);
  return join(root, 'data');
}

async function withCore<T>(dir: string, env: NodeJS.ProcessEnv, body: (core: Core) => T | Promise<T>): Promise<T> {
  const core = await createCore({ dataDir: dir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env) });
  try {
    return await body(core);
  } finally {
    await core.dispose();
  }
}

/** Everything a command wrote: stdout, stderr and the data directory's files (logs included). */
function everythingWritten(io: ReturnType<typeof capture>, dir: string): string {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString('latin1'));
  return [...io.stdout, ...io.stderr, ...files].join('\n');
}

describe('strongroom init and STRONGROOM_ADMIN_PASSPHRASE', () => {
  it('sets the local administrator’s first passphrase from the variable, never prints it, and serve then has nothing to generate', async () => {
    const dir = dataDir();
    const passphrase = `init-${randomBytes(9).toString('hex')}`;
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'), STRONGROOM_ADMIN_PASSPHRASE: passphrase };
    const io = capture();
    expect(await initCommand(io, { dataDir: dir, json: true, env })).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ ok: true, created: true, administrator: { passphrase: 'set-from-environment' } });
    const text = capture();
    expect(await initCommand(text, { dataDir: dir, json: false, env })).toBe(0);
    expect(text.stdout.join('\n')).toContain('passphrase already set');
    expect(everythingWritten(io, dir)).not.toContain(passphrase);
    expect(everythingWritten(text, dir)).not.toContain(passphrase);

    await withCore(dir, { STRONGROOM_MASTER_KEY: env.STRONGROOM_MASTER_KEY }, async (core) => {
      const identity = core.identity!;
      // What serve does on its first start: the passphrase is already there, so nothing is shown.
      const serveIo = capture();
      expect(await announceFirstRunPassphrase(serveIo, identity, {})).toBe('unchanged');
      expect(serveIo.stderr).toEqual([]);
      await expect(identity.signInLocal(passphrase)).resolves.toMatchObject({ principal: { kind: 'local-admin' } });
      expect(core.audit!.list({ actionPrefix: 'auth.passphraseSet' })).toHaveLength(1);
    });
  });

  it('without the variable sets none (serve generates one); a later init with it sets it, and only the first time', async () => {
    const dir = dataDir();
    const key = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const io = capture();
    expect(await initCommand(io, { dataDir: dir, json: true, env: key })).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ administrator: { passphrase: 'not-set' } });

    const first = `first-${randomBytes(9).toString('hex')}`;
    const again = capture();
    expect(await initCommand(again, { dataDir: dir, json: true, env: { ...key, STRONGROOM_ADMIN_PASSPHRASE: first } })).toBe(0);
    expect(JSON.parse(again.stdout[0]!)).toMatchObject({ created: false, administrator: { passphrase: 'set-from-environment' } });
    const later = capture();
    expect(await initCommand(later, { dataDir: dir, json: true, env: { ...key, STRONGROOM_ADMIN_PASSPHRASE: `later-${randomBytes(9).toString('hex')}` } })).toBe(0);
    expect(JSON.parse(later.stdout[0]!)).toMatchObject({ administrator: { passphrase: 'already-set' } });
    await withCore(dir, key, async (core) => {
      await expect(core.identity!.signInLocal(first)).resolves.toBeDefined();
    });
  });

  it('refuses a passphrase that is too short, naming the variable but not the value', async () => {
    const dir = dataDir();
    const io = capture();
    const short = 'short-pw';
    expect(await initCommand(io, { dataDir: dir, json: true, env: { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'), STRONGROOM_ADMIN_PASSPHRASE: short } })).toBe(1);
    const output = JSON.parse(io.stdout[0]!) as { ok: boolean; error: { code: string; message: string } };
    expect(output).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('STRONGROOM_ADMIN_PASSPHRASE') as string } });
    expect(everythingWritten(io, dir)).not.toContain(short);
  });
});

describe('strongroom init and the audit log', () => {
  it('records what the first run made as the log’s first entries — once — and the chain verifies', async () => {
    const dir = dataDir();
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    expect(await initCommand(capture(), { dataDir: dir, json: true, env })).toBe(0);
    const first = await withCore(dir, env, async (core) => {
      const entries = core.audit!.list({ actionPrefix: '' });
      const report = await core.auditService!.verify();
      return { entries, ok: report.ok, accountId: core.storage!.accounts.list()[0]!.id };
    });
    expect(first.ok).toBe(true);
    expect(first.entries.slice(0, 4).map((entry) => [entry.action, entry.accountId])).toEqual([
      ['installation.init', null],
      ['account.create', first.accountId],
      ['keys.rotate', first.accountId],
      ['identity.localAdministrator.create', null],
    ]);
    expect(first.entries[0]!.details).toMatchObject({ masterKeyCreated: false, secretStore: 'environment' });
    expect(first.entries[2]!.details).toMatchObject({ key: 'data', automatic: true, reason: 'first key', version: 1 });
    // Opening the installation again records nothing of the kind.
    const again = await withCore(dir, env, (core) => core.audit!.list({ actionPrefix: '' }).filter((entry) => ['installation.init', 'account.create', 'identity.localAdministrator.create'].includes(entry.action)).length);
    expect(again).toBe(3);
  });

  it('is the one way to start afresh where a database went missing: serve and other commands refuse, init says what it replaces and audits it', async () => {
    const dir = dataDir();
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const firstIo = capture();
    expect(await initCommand(firstIo, { dataDir: dir, json: true, env })).toBe(0);
    const oldId = (JSON.parse(firstIo.stdout[0]!) as { installationId: string }).installationId;
    renameSync(join(dir, 'strongroom.db'), join(dir, 'moved-away.db'));

    await expect(createCore({ dataDir: dir, mode: 'serve', heartbeatMs: 0, secrets: secretsFor(capture(), env) })).rejects.toMatchObject({ code: 'ERR_STORAGE_NOT_INITIALISED', details: { reason: 'database-missing', installationId: oldId } });
    expect(existsSync(join(dir, 'strongroom.db'))).toBe(false);

    const io = capture();
    expect(await initCommand(io, { dataDir: dir, json: false, env })).toBe(0);
    expect(io.stdout.join('\n')).toContain(`The database of installation ${oldId} is missing from ${dir}; this is a new, empty installation in its place.`);
    const init = await withCore(dir, env, (core) => ({ id: core.storage!.installationId, entry: core.audit!.list({ actionPrefix: 'installation.init' })[0] }));
    expect(init.id).not.toBe(oldId);
    expect(init.entry?.details).toMatchObject({ installationId: init.id, replacedInstallationId: oldId });
  });
});
