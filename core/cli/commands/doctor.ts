import { inspectStorage } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

/**
 * `strongroom doctor`: keychain reachable, integrity_check, foreign keys, schema version, the
 * installation's accounts and local administrator, master key matches, data keys, free space on
 * the data directory's volume. Reads the
 * database read-only and changes nothing (not even its journal mode or -wal/-shm files). Exit
 * code 0 when healthy or degraded, 1 when a check failed.
 */
export async function doctorCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const report = await inspectStorage({ dataDir: options.dataDir, secrets: secretsFor(io, options.env) });
    if (options.json) {
      io.out(JSON.stringify({ ok: report.status !== 'failed', ...report }));
    } else {
      const mark = { ok: 'ok  ', degraded: 'WARN', failed: 'FAIL' } as const;
      io.out([`Strongroom doctor: ${report.status} (${report.dataDir})`, ...report.checks.map((check) => `${mark[check.status]} ${check.name.padEnd(13)} ${check.detail}`)].join('\n'));
    }
    return report.status === 'failed' ? 1 : 0;
  });
}
