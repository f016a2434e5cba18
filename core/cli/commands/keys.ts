import { can, localOperator } from '../../api/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { CoreError, isCoreError } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import { requireInstallation, rotateAccountKey, rotateMasterKey } from '../../storage/index.ts';
import type { MasterKeyRotation, RotationReport } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

export interface KeysRotateOptions extends StorageCommandOptions {
  account?: string;
  master: boolean;
  batchSize: number;
  /** --new-key-stdin: the new master key (base64, 32 bytes) the operator's secret manager made. */
  newKey?: string;
}

/** Failures listed in a `keys.reencrypt` entry; the count is always complete. */
const listedFailures = 20;

/**
 * `strongroom keys rotate [--account NAME] [--master]`: a new data key version per account (all
 * live accounts by default) and re-encryption of their content in short batches, so a running app
 * keeps working; `--master` also replaces the master key and re-wraps every data key.
 *
 * It acts as the installation operator (the CLI's principal, holder of `keys.rotate`), and every
 * key change is recorded in the audit log in the transaction that makes it: `keys.rotate` with
 * key ids and versions (never key material), then `keys.reencrypt` with what re-encryption did.
 * Progress goes to stderr, so `--json` output stays one object on stdout.
 */
export async function keysRotateCommand(io: CliIo, options: KeysRotateOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const operator = localOperator();
    if (!can(operator, 'keys.rotate')) throw new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.');
    if (options.newKey !== undefined && !options.master) throw new CoreError('ERR_INPUT_INVALID', '--new-key-stdin goes with --master.');
    // Rotation never creates an installation: createCore would, on an empty data directory.
    requireInstallation(options.dataDir);
    // Never resumes runs: a CLI command must not take over work the running app owns.
    const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env), resumeInterruptedRuns: false });
    try {
      const storage = core.storage!;
      const audit = core.audit!;
      const actor = { userId: operator.userId, accountId: operator.accountId, roles: operator.roles };
      const failed = (action: string, error: unknown, details: Record<string, string | number>, accountId: string | null) => {
        if (!isCoreError(error)) return;
        audit.append({ action, outcome: 'failure', actor, accountId, ...(accountId ? { resource: `account:${accountId}` } : {}), details: { ...details, code: error.code } });
      };

      let master: MasterKeyRotation | undefined;
      if (options.master) {
        io.err('Rotating the master key…');
        if (options.newKey !== undefined && storage.secrets.writable) throw new CoreError('ERR_INPUT_INVALID', `--new-key-stdin is for a master key Strongroom cannot store (STRONGROOM_MASTER_KEY); ${storage.secrets.describe()} gets a new key generated for it.`);
        try {
          master = await rotateMasterKey(storage, {
            ...(options.newKey === undefined ? {} : { newKey: options.newKey }),
            withinTransaction: (rotation) => audit.append({ action: 'keys.rotate', outcome: 'success', actor, accountId: null, details: { key: 'master', version: rotation.version, previousVersion: rotation.previousVersion, dataKeys: rotation.rewrapped } }),
          });
        } catch (error) {
          failed('keys.rotate', error, { key: 'master' }, null);
          throw error;
        }
      }

      let accounts = storage.accounts.list();
      if (options.account !== undefined) {
        // By name or id, as the audit commands take it.
        const account = storage.accounts.findByName(options.account) ?? accounts.find((a) => a.id === options.account);
        if (!account) throw new CoreError('ERR_NOT_FOUND', `There is no account named "${options.account}". Accounts: ${accounts.map((a) => a.name).join(', ')}.`);
        accounts = [account];
      }
      const rotations: (RotationReport & { account: string })[] = [];
      for (const account of accounts) {
        io.err(`${account.name}: new data key version…`);
        let report: RotationReport;
        try {
          report = await rotateAccountKey(storage, account.id, {
            batchSize: options.batchSize,
            onProgress: progressPrinter(io, account.name),
            withinTransaction: (rotation) => audit.append({ action: 'keys.rotate', outcome: 'success', actor, accountId: account.id, resource: `account:${account.id}`, details: { key: 'data', keyId: rotation.keyId, version: rotation.keyVersion, previousKeyId: rotation.previousKeyId, previousVersion: rotation.previousKeyVersion } }),
          });
        } catch (error) {
          failed('keys.rotate', error, { key: 'data' }, account.id);
          throw error;
        }
        recordReencryption(audit, actor, report);
        rotations.push({ account: account.name, ...report });
      }
      const anyFailed = rotations.some((rotation) => rotation.failures.length > 0);
      if (options.json) {
        io.out(JSON.stringify({ ok: !anyFailed, ...(master ? { master: { version: master.version, rewrapped: master.rewrapped } } : {}), rotations }));
      } else {
        const lines = rotations.map((r) => `${r.account}: data key version ${r.keyVersion}; ${r.valuesResealed} value(s) re-encrypted in ${r.batches} batch(es)${r.failures.length > 0 ? `; ${r.failures.length} could not be decrypted (run strongroom doctor)` : ''}.`);
        // A running app keeps the key it started with: it must start again to load the new one.
        if (master) lines.unshift(`Master key rotated to version ${master.version}; ${master.rewrapped} data key(s) re-wrapped.${storage.secrets.writable ? '' : ' Set STRONGROOM_MASTER_KEY to the new key now: the old one no longer opens this installation.'} Restart any Strongroom running on this data directory (desktop app or serve) so it loads the new key; until then it refuses work that needs a key.`);
        lines.push('Recorded in the audit log (keys.rotate, keys.reencrypt).');
        io.out(lines.join('\n'));
      }
      return anyFailed ? 1 : 0;
    } finally {
      await core.dispose();
    }
  });
}

/** What re-encryption did, as its own entry: values that would not decrypt make it a failure. */
function recordReencryption(audit: AuditLog, actor: { userId: string; accountId: string | null; roles: readonly string[] }, report: RotationReport): void {
  audit.append({
    action: 'keys.reencrypt',
    outcome: report.failures.length > 0 ? 'failure' : 'success',
    actor,
    accountId: report.accountId,
    resource: `account:${report.accountId}`,
    details: {
      keyId: report.keyId,
      version: report.keyVersion,
      rowsScanned: report.rowsScanned,
      valuesResealed: report.valuesResealed,
      batches: report.batches,
      failures: report.failures.length,
      // Where, never what: table, row id, column and code.
      failed: report.failures.slice(0, listedFailures).map((failure) => `${failure.table}/${failure.rowId}/${failure.column}:${failure.code}`),
    },
  });
}

/** A progress line on stderr when a table starts re-encrypting and then at most once a second. */
function progressPrinter(io: CliIo, account: string): (progress: { table: string; rowsScanned: number; valuesResealed: number }) => void {
  let table = '';
  let scanned = 0;
  let printedAt = 0;
  return (progress) => {
    if (progress.rowsScanned === scanned) return;
    scanned = progress.rowsScanned;
    const now = Date.now();
    if (progress.table === table && now - printedAt < 1_000) return;
    table = progress.table;
    printedAt = now;
    // The counts run over the whole account: say so, or a one-row table seems to hold 32.
    io.err(`${account}: now ${progress.table}; ${progress.rowsScanned} row(s) scanned and ${progress.valuesResealed} value(s) re-encrypted so far in this account`);
  };
}
