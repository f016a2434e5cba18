import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyDatabase } from '../../audit/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { restoreDatabase } from '../../storage/index.ts';
import { capture } from '../testing.ts';
import { backupCommand, restoreCommand } from './backup.ts';
import { secretsFor } from './common.ts';
import { initCommand } from './init.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

async function withCore<T>(dataDir: string, body: (core: Core) => T | Promise<T>): Promise<T> {
  const core = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env) });
  try {
    return await body(core);
  } finally {
    await core.dispose();
  }
}

describe('strongroom backup / restore and the audit log', () => {
  it('records the backup, and the restored log ends with the restore naming that backup; its sealed content still decrypts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-backup-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    expect(await initCommand(capture(), { dataDir, json: true, env })).toBe(0);
    // Content sealed under a second account's data key, before the backup.
    const { creditId, sealedSeq } = await withCore(dataDir, (core) => {
      const credit = core.storage!.createAccount('Credit');
      const seq = core.audit!.append({ action: 'test.note', outcome: 'success', accountId: credit.id, content: { note: 'sealed before the backup' } });
      return { creditId: credit.id, sealedSeq: seq };
    });

    const file = join(root, 'backup.sqlite');
    const backupIo = capture();
    expect(await backupCommand(backupIo, { dataDir, json: true, env, out: file })).toBe(0);
    const backup = JSON.parse(backupIo.stdout[0]!) as { backupId: string; sha256: string; takenAt: string; bytes: number };
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    const recorded = await withCore(dataDir, (core) => {
      core.audit!.append({ action: 'test.afterBackup', outcome: 'success' });
      return core.audit!.list({ actionPrefix: 'backup.' });
    });
    expect(recorded).toMatchObject([{ action: 'backup.create', outcome: 'success', actorUserId: 'local-operator', accountId: null, details: { backupId: backup.backupId, file, sha256: backup.sha256, bytes: backup.bytes } }]);
    // A second backup onto the same file is refused, and that attempt is on record too.
    expect(await backupCommand(capture(), { dataDir, json: true, env, out: file })).toBe(1);

    const restoreIo = capture();
    expect(await restoreCommand(restoreIo, { dataDir, json: true, env, file, force: true })).toBe(0);
    const restored = JSON.parse(restoreIo.stdout[0]!) as { backupId: string; takenAt: string; previous: string };
    expect(restored).toMatchObject({ backupId: backup.backupId, takenAt: backup.takenAt });
    expect(readdirSync(dataDir)).not.toContain('.restoring');

    await withCore(dataDir, async (core) => {
      const log = core.audit!;
      expect((await verifyDatabase(log)).ok).toBe(true);
      const entries = log.list();
      // The restored log is the backup's (nothing written after it) plus the restore's own entry.
      expect(entries.map((entry) => entry.action)).not.toContain('test.afterBackup');
      expect(entries.at(-1)).toMatchObject({ action: 'backup.restore', outcome: 'success', actorUserId: 'local-operator', details: { backupId: backup.backupId, takenAt: backup.takenAt, file, sha256: backup.sha256, previous: restored.previous } });
      // Content restored from the backup decrypts with the account's data key.
      expect(log.openContent(log.row(sealedSeq)!)).toEqual({ note: 'sealed before the backup' });
      expect(core.storage!.accounts.byId(creditId)?.name).toBe('Credit');
    });
    // The replaced database kept its own record of the backup and of the refused second attempt.
    const before = join(root, 'before');
    mkdirSync(before);
    copyFileSync(restored.previous, join(before, 'strongroom.db'));
    await withCore(before, (core) => {
      expect(core.audit!.list({ actionPrefix: 'backup.' }).map((entry) => [entry.outcome, entry.details.code ?? null])).toEqual([['success', null], ['failure', 'ERR_CONFLICT']]);
    });
  });

  it('signs a checkpoint over the whole log before copying, so no entry in the backup is only hash-linked', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-backup-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    expect(await initCommand(capture(), { dataDir, json: true, env })).toBe(0);
    await withCore(dataDir, (core) => {
      for (let index = 0; index < 5; index += 1) core.audit!.append({ action: 'test.beforeBackup', outcome: 'success' });
    });
    const file = join(root, 'backup.sqlite');
    expect(await backupCommand(capture(), { dataDir, json: true, env, out: file })).toBe(0);
    const copy = new Database(file, { readonly: true });
    try {
      const { head } = copy.prepare('SELECT max(seq) AS head FROM audit_log').get() as { head: number };
      const last = copy.prepare('SELECT kind, size FROM audit_checkpoints ORDER BY id DESC LIMIT 1').get() as { kind: string; size: number };
      expect(head).toBeGreaterThan(5);
      expect(last).toEqual({ kind: 'export', size: head });
    } finally {
      copy.close();
    }
  });

  it('replaces nothing when the restore cannot be recorded in the staged copy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-backup-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    await initCommand(capture(), { dataDir, json: true, env });
    const file = join(root, 'b.sqlite');
    expect(await backupCommand(capture(), { dataDir, json: true, env, out: file })).toBe(0);
    const live = readFileSync(join(dataDir, 'strongroom.db'));
    const restore = restoreDatabase({ dataDir, from: file, secrets: secretsFor(capture(), env), force: true, now: () => Date.now(), beforeSwap: () => Promise.reject(new Error('audit log unavailable')) });
    await expect(restore).rejects.toThrow('audit log unavailable');
    expect(readdirSync(dataDir).filter((name) => name.includes('before-restore') || name === '.restoring')).toEqual([]);
    expect(readFileSync(join(dataDir, 'strongroom.db')).equals(live)).toBe(true);
  });

  it('restore refuses a SQLite file that is not a Strongroom backup, even with --force, and the installation stays as it was', async () => {
    const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-backup-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    const initIo = capture();
    await initCommand(initIo, { dataDir, json: true, env });
    const { installationId } = JSON.parse(initIo.stdout[0]!) as { installationId: string };
    const other = join(root, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    const live = readFileSync(join(dataDir, 'strongroom.db'));

    for (const file of [other, root]) {
      const io = capture();
      expect(await restoreCommand(io, { dataDir, json: true, env, file, force: true })).toBe(1);
      expect(JSON.parse(io.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining(`${file} is not a Strongroom backup`) as string } });
      const text = capture();
      expect(await restoreCommand(text, { dataDir, json: false, env, file, force: true })).toBe(1);
      expect(text.stderr.join('\n')).toMatch(/^error ERR_INPUT_INVALID: .* is not a Strongroom backup/m);
    }
    expect(readdirSync(dataDir).sort()).toEqual(['installation.json', 'strongroom.db']);
    expect(readFileSync(join(dataDir, 'strongroom.db')).equals(live)).toBe(true);
    await withCore(dataDir, (core) => {
      expect(core.storage!.installationId).toBe(installationId);
      expect(core.audit!.list({ actionPrefix: 'backup.' })).toEqual([]);
    });
  });
});
