import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { localOperator } from '../../api/index.ts';
import { AuditLog } from '../../audit/index.ts';
import { isCoreError, systemClock } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import { backupDatabase, openStorage, requireInstallation, restoreDatabase } from '../../storage/index.ts';
import type { StagedRestore } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The CLI's principal, as audit entries name it. */
function operatorActor() {
  const operator = localOperator();
  return { userId: operator.userId, accountId: operator.accountId, roles: operator.roles };
}

/**
 * `strongroom backup --out FILE`: an online copy (the app may keep running), recorded in the
 * audit log as `backup.create` — a backup is a data export. Recording it signs with the
 * installation's key, so the master key must be available (the copy itself holds no key).
 */
export async function backupCommand(io: CliIo, options: StorageCommandOptions & { out: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    requireInstallation(options.dataDir);
    const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env), resumeInterruptedRuns: false });
    try {
      const audit = core.audit!;
      const file = resolve(options.out);
      let report;
      try {
        // Sign the chain as it stands, so the copy's entries up to here are covered by a checkpoint,
        // not only hash-linked (a backup is a data export, hence the kind). Entries a running app
        // adds while the pages are copied are in the copy hash-linked, signed by the next checkpoint.
        const checkpoint = audit.checkpoint('export');
        core.logger.info({ size: checkpoint.size }, 'audit checkpoint signed for the backup');
        report = await backupDatabase(core.storage!.db, file, { now: () => systemClock.now() });
      } catch (error) {
        if (isCoreError(error)) audit.append({ action: 'backup.create', outcome: 'failure', actor: operatorActor(), accountId: null, details: { file, code: error.code } });
        throw error;
      }
      audit.append({ action: 'backup.create', outcome: 'success', actor: operatorActor(), accountId: null, details: { backupId: report.backupId, file: report.file, bytes: report.bytes, sha256: report.sha256, schemaVersion: report.schemaVersion } });
      // The database holds model registrations, not model files: say which files a restore on
      // another machine would also need.
      const modelFiles = core.models!.localModelFiles().flatMap((model) => {
        try {
          return [{ ...model, bytes: statSync(model.path).size }];
        } catch {
          return [];
        }
      });
      if (options.json) io.out(JSON.stringify({ ok: true, ...report, takenAt: iso(report.takenAt), notIncluded: { modelFiles } }));
      else {
        io.out(
          [
            `Backed up to ${report.file} (${report.bytes} bytes, schema ${report.schemaVersion}, backup id ${report.backupId}, SHA-256 ${report.sha256}). It holds only ciphertext: keep the master key backed up separately.`,
            ...(modelFiles.length === 0 ? [] : [`Not in the backup: ${modelFiles.length === 1 ? 'the local model file' : `${modelFiles.length} local model files`} the installation uses; copy ${modelFiles.length === 1 ? 'it' : 'them'} separately to restore on another machine:`, ...modelFiles.map((model) => `  ${model.id}  ${model.path} (${(model.bytes / 2 ** 20).toFixed(1)} MiB)`)]),
          ].join('\n'),
        );
      }
      return 0;
    } finally {
      await core.dispose();
    }
  });
}

/**
 * `strongroom restore FILE [--force]`: into a stopped installation; keeps the replaced file. Only
 * a backup `strongroom backup` made is accepted: any other file (another SQLite database, a
 * damaged or non-database file, a directory) is refused with a typed error naming the file and
 * why, before the data directory is touched. The restored log gets a `backup.restore` entry
 * (which backup, taken when, its SHA-256) appended to the staged copy before it replaces
 * anything, so the chain shows the restore from its first start.
 */
export async function restoreCommand(io: CliIo, options: StorageCommandOptions & { file: string; force: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const secrets = secretsFor(io, options.env);
    const recordRestore = async (staged: StagedRestore): Promise<void> => {
      const storage = await openStorage({ dataDir: staged.dataDir, secrets, create: false });
      try {
        new AuditLog({ storage, clock: systemClock }).append({
          action: 'backup.restore',
          outcome: 'success',
          actor: operatorActor(),
          accountId: null,
          details: { backupId: staged.backupId, takenAt: iso(staged.takenAt), file: staged.from, sha256: staged.sha256, schemaVersion: staged.schemaVersion, previous: staged.previous },
        });
      } finally {
        await storage.dispose();
      }
    };
    const report = await restoreDatabase({ dataDir: options.dataDir, from: resolve(options.file), secrets, force: options.force, now: () => systemClock.now(), beforeSwap: recordRestore });
    if (options.json) {
      io.out(JSON.stringify({ ok: true, ...report, takenAt: iso(report.takenAt) }));
    } else {
      io.out([
        `Restored ${report.restoredFrom} into ${report.file} (schema ${report.schemaVersion}, backup ${report.backupId}${report.takenAt === null ? '' : ` taken ${iso(report.takenAt)}`}); recorded in its audit log as backup.restore.`,
        ...(report.previous ? [`The replaced database was kept as ${report.previous}.`] : []),
      ].join('\n'));
    }
    return 0;
  });
}
