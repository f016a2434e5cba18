import { resolve } from 'node:path';
import { systemClock } from '../../base/index.ts';
import { backupDataDir, restoreDatabase } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

/** `strongroom backup --out FILE`: an online copy (the app may keep running); needs no key. */
export async function backupCommand(io: CliIo, options: StorageCommandOptions & { out: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const report = await backupDataDir(options.dataDir, resolve(options.out));
    if (options.json) io.out(JSON.stringify({ ok: true, ...report }));
    else io.out(`Backed up to ${report.file} (${report.bytes} bytes, schema ${report.schemaVersion}). It holds only ciphertext: keep the master key backed up separately.`);
    return 0;
  });
}

/** `strongroom restore FILE [--force]`: into a stopped installation; keeps the replaced file. */
export async function restoreCommand(io: CliIo, options: StorageCommandOptions & { file: string; force: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const report = await restoreDatabase({ dataDir: options.dataDir, from: resolve(options.file), secrets: secretsFor(io, options.env), force: options.force, now: () => systemClock.now() });
    if (options.json) {
      io.out(JSON.stringify({ ok: true, ...report }));
    } else {
      io.out([`Restored ${report.restoredFrom} into ${report.file} (schema ${report.schemaVersion}).`, ...(report.previous ? [`The replaced database was kept as ${report.previous}.`] : [])].join('\n'));
    }
    return 0;
  });
}
