import { createHash } from 'node:crypto';
import { closeSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createInProcessBridge, localOperator } from '../../api/index.ts';
import { FileSink, parseTrustedKey, verifyExportFile } from '../../audit/index.ts';
import type { AuditFilter, ExportFormat } from '../../audit/index.ts';
import { CoreError } from '../../base/index.ts';
import { IdentityStore } from '../../identity/index.ts';
import type { MethodInput, MethodName, MethodOutput } from '../../contracts/index.ts';
import { createCore } from '../../createCore.ts';
import { requireInstallation } from '../../storage/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import type { StorageCommandOptions } from './common.ts';
import { cliTime, openNewFile, runStorageCommand, secretsFor, writeNewFile } from './common.ts';

/**
 * `strongroom audit …`: verify, export and keep the audit log from the machine itself, as the
 * installation's local operator (every account). Exports are recorded in the log like any other.
 */
async function withCore<T>(io: CliIo, options: StorageCommandOptions, body: (core: Core, call: <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>) => Promise<T>): Promise<T> {
  // A mistyped --data-dir must not verify, sign or export a brand-new empty log.
  requireInstallation(options.dataDir);
  // Never resumes runs: a CLI command must not take over work the running app owns.
  const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env), resumeInterruptedRuns: false });
  try {
    const bridge = createInProcessBridge(core.router, core.events, core.sessions.create(localOperator()).id);
    return await body(core, async (method, input) => {
      const result = await bridge.invoke(method, input);
      if (!result.ok) throw new CoreError(result.error.code, result.error.message, result.error.details ? { details: result.error.details } : undefined);
      return result.value;
    });
  } finally {
    await core.dispose();
  }
}

function accountIdOf(core: Core, nameOrId: string): string {
  const accounts = core.storage!.accounts.list({ includeDeleted: true });
  const account = accounts.find((a) => a.name === nameOrId && a.deletedAt === null) ?? accounts.find((a) => a.id === nameOrId);
  if (!account) throw new CoreError('ERR_NOT_FOUND', `There is no account named "${nameOrId}". Accounts: ${accounts.filter((a) => a.deletedAt === null).map((a) => a.name).join(', ')}.`);
  return account.id;
}

const dayMs = 86_400_000;

/**
 * `--from`/`--to` as epoch ms. A date alone is a whole UTC day: `--from 2026-01-31` starts at its
 * midnight and `--to 2026-01-31` ends at its last millisecond, so that day is included.
 */
export function parseTime(text: string | undefined, name: 'from' | 'to'): number | undefined {
  if (text === undefined) return undefined;
  const ms = cliTime(name, text);
  return name === 'to' && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? ms + dayMs - 1 : ms;
}

/**
 * `--actor` as the user id the log records: a user id as it is, else a person's email or display
 * name among the members of `--account` (every account without it). A user no longer in the
 * identity store is still found by the id the log holds.
 */
function actorIdOf(core: Core, text: string, accountId: string | undefined): string {
  const store = new IdentityStore(core.storage!.db);
  if (text === localOperator().userId || store.userById(text)) return text;
  const wanted = text.trim().toLowerCase();
  const accounts = accountId !== undefined ? [accountId] : core.storage!.accounts.list().map((account) => account.id);
  const matches = new Map<string, { displayName: string; email: string | null }>();
  // The local administrator belongs to no account's member list; the app shows this name for it.
  const localAdmin = store.localAdministrator();
  if (localAdmin && wanted === (localAdmin.displayName || 'Local administrator').toLowerCase()) matches.set(localAdmin.id, { displayName: localAdmin.displayName || 'Local administrator', email: null });
  for (const id of accounts) {
    for (const { user } of store.members(id)) {
      if (user.email?.toLowerCase() === wanted || (user.displayName !== '' && user.displayName.toLowerCase() === wanted)) matches.set(user.id, user);
    }
  }
  if (matches.size === 1) return [...matches.keys()][0]!;
  if (matches.size > 1) {
    const listed = [...matches].map(([id, user]) => `${user.displayName || '(no name)'}${user.email ? ` <${user.email}>` : ''}: ${id}`).join('; ');
    throw new CoreError('ERR_CONFLICT', `Several people match --actor "${text}" (${listed}); give the user id instead.`);
  }
  if (core.storage!.db.prepare('SELECT 1 FROM audit_log WHERE actor_user_id = ? LIMIT 1').get(text)) return text;
  throw new CoreError('ERR_NOT_FOUND', `No one matches --actor "${text}"${accountId !== undefined ? ' in that account' : ''}: give a user id, an email or a display name.`);
}

export interface AuditVerifyOptions {
  file?: string;
  publicKey: string[];
  json: boolean;
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** `strongroom audit verify [FILE]`: an export file (offline), or without FILE this installation's own log. Exit 1 on any failure. */
export async function auditVerifyCommand(io: CliIo, options: AuditVerifyOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    if (options.file === undefined) {
      return withCore(io, options, async (_core, call) => {
        const report = await call('audit.verify', {});
        if (options.json) io.out(JSON.stringify(report));
        else if (report.ok) io.out(`OK: the audit log verifies — ${report.entries} entries (${report.purged} purged under signed tombstones), ${report.checkpoints} signed checkpoints${report.lastCheckpoint ? `; last root ${report.lastCheckpoint.root} over ${report.lastCheckpoint.size}` : ''}.`);
        else io.out(`FAILED: ${report.firstProblem?.reason ?? 'unknown problem'}`);
        return report.ok ? 0 : 1;
      });
    }
    if (!existsSync(options.file)) throw new CoreError('ERR_NOT_FOUND', `There is no file ${options.file}.`);
    if (statSync(options.file).isDirectory()) throw new CoreError('ERR_INPUT_INVALID', `${options.file} is a directory; give the export file.`);
    const trustedKeys = options.publicKey.map((file) => {
      const text = readFileSync(file, 'utf8');
      try {
        parseTrustedKey(text);
      } catch {
        throw new CoreError('ERR_INPUT_INVALID', `${file} is not an Ed25519 public key: give the PEM that \`strongroom audit public-key\` writes.`, { details: { file } });
      }
      return text;
    });
    const result = verifyExportFile(options.file, trustedKeys.length > 0 ? { trustedKeys } : {});
    if (options.json) {
      io.out(JSON.stringify(result));
    } else if (result.ok) {
      io.out([
        `OK: ${result.entries} entries and ${result.checkpoints} checkpoint(s) verify (${result.scope} export; tree of ${result.treeSize}, root ${result.treeRoot}).`,
        result.keysPinned ? `Signed by pinned key(s) ${result.keyIds.join(', ')}.` : `Signed by key(s) ${result.keyIds.join(', ')} from the export itself; pin the installation's key with --public-key to rule out a re-signed copy.`,
      ].join('\n'));
    } else {
      const problem = result.firstProblem!;
      io.out(`FAILED at line ${problem.line}${problem.seq !== undefined ? `, entry ${problem.seq}` : ''}: ${problem.reason}`);
    }
    return result.ok ? 0 : 1;
  });
}

export interface AuditExportOptions extends StorageCommandOptions {
  from?: string;
  to?: string;
  actor?: string;
  account?: string;
  action?: string;
  format: ExportFormat;
  out: string;
}

/** `strongroom audit export … --format jsonl|csv|pdf --out FILE`: any size, written to a new file. */
export async function auditExportCommand(io: CliIo, options: AuditExportOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withCore(io, options, async (core) => {
      if (existsSync(options.out)) throw new CoreError('ERR_CONFLICT', `${options.out} exists; choose a new file name.`);
      const from = parseTime(options.from, 'from');
      const to = parseTime(options.to, 'to');
      if (from !== undefined && to !== undefined && from > to) throw new CoreError('ERR_INPUT_INVALID', `--from ${options.from} is after --to ${options.to}: nothing could match.`, { details: { from: options.from, to: options.to } });
      const accountId = options.account !== undefined ? accountIdOf(core, options.account) : undefined;
      const filter: AuditFilter = {
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(accountId !== undefined ? { accountId } : {}),
        ...(options.actor !== undefined ? { actorUserId: actorIdOf(core, options.actor, accountId) } : {}),
        ...(options.action !== undefined ? { action: options.action } : {}),
      };
      let entries: number;
      if (options.format === 'pdf') {
        // The file first: a path that cannot be written must fail before the export is audited.
        const fd = openNewFile(options.out);
        try {
          const result = await core.auditService!.export(localOperator(), filter, 'pdf', { write: () => undefined });
          writeFileSync(fd, result.pdf!);
          closeSync(fd);
          entries = result.entries;
        } catch (error) {
          closeSync(fd);
          unlinkSync(options.out);
          throw error;
        }
      } else {
        const sink = new FileSink(options.out);
        try {
          entries = (await core.auditService!.export(localOperator(), filter, options.format, sink)).entries;
          sink.close();
        } catch (error) {
          sink.close();
          unlinkSync(options.out);
          throw error;
        }
      }
      const sha256 = createHash('sha256').update(readFileSync(options.out)).digest('hex');
      const bytes = statSync(options.out).size;
      if (options.json) io.out(JSON.stringify({ ok: true, file: options.out, format: options.format, entries, bytes, sha256 }));
      else io.out(`Wrote ${entries} entries to ${options.out} (${options.format}, ${bytes} bytes, SHA-256 ${sha256}).${options.format === 'jsonl' ? ' Check it anywhere with: node verify-audit.mjs FILE --public-key KEY.pem' : ''}`);
      return 0;
    }),
  );
}

/** `strongroom audit public-key`: the PEM of the checkpoint-signing key(s), for verifiers to pin. */
export async function auditPublicKeyCommand(io: CliIo, options: StorageCommandOptions & { out?: string }): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withCore(io, options, async (_core, call) => {
      const keys = await call('audit.publicKey', {});
      const active = keys.find((key) => key.retiredAt === null) ?? keys.at(-1);
      // Never overwrites: an existing file is ERR_CONFLICT, printed like any other error (--json too).
      if (options.out !== undefined && active) writeNewFile(options.out, active.publicKeyPem);
      if (options.json) io.out(JSON.stringify({ ok: true, ...(options.out !== undefined ? { file: options.out } : {}), keys }));
      else io.out(keys.map((key) => `# key id ${key.keyId}${key.retiredAt ? ` (retired ${key.retiredAt})` : ' (active)'}\n${key.publicKeyPem.trimEnd()}`).join('\n'));
      return 0;
    }),
  );
}

export interface AuditRetentionOptions extends StorageCommandOptions {
  account: string;
  days?: number;
  /** --hold */
  hold?: boolean;
  /** --release */
  release?: boolean;
  reason?: string;
}

/** `strongroom audit retention --account A [--days N] [--hold --reason R | --release --reason R]`: show or change the policy. */
export async function auditRetentionCommand(io: CliIo, options: AuditRetentionOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withCore(io, options, async (core, call) => {
      // A legal hold is evidence: flags that contradict each other change nothing.
      if (options.hold === true && options.release === true) throw new CoreError('ERR_INPUT_INVALID', 'Give --hold or --release, not both.');
      if (options.reason !== undefined && options.hold !== true && options.release !== true) throw new CoreError('ERR_INPUT_INVALID', '--reason says why a hold is placed or released: give it with --hold or --release.');
      if ((options.hold === true || options.release === true) && (options.reason === undefined || options.reason.trim() === '')) throw new CoreError('ERR_INPUT_INVALID', `Give --reason: why the hold is ${options.hold === true ? 'placed' : 'released'}.`);
      const hold = options.hold === true ? true : options.release === true ? false : undefined;
      const accountId = accountIdOf(core, options.account);
      if (options.days !== undefined) await call('audit.retention.set', { accountId, retentionDays: options.days });
      if (hold !== undefined) await call('audit.legalHold.set', { accountId, hold, reason: options.reason ?? '' });
      const policy = await call('audit.retention.get', { accountId });
      if (options.json) io.out(JSON.stringify({ ok: true, ...policy }));
      else io.out(`${options.account}: entries kept at least ${policy.retentionDays} days; legal hold ${policy.legalHold ? `ON (${policy.legalHoldReason ?? (policy.legalHoldReasonWithheld ? 'reason withheld' : 'no reason given')})` : 'off'}.`);
      return 0;
    }),
  );
}

/** `strongroom audit purge [--account A] [--dry-run]`: remove content past retention, leaving a signed tombstone. */
export async function auditPurgeCommand(io: CliIo, options: StorageCommandOptions & { account?: string; dryRun: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withCore(io, options, async (core, call) => {
      const report = await call('audit.purge', { ...(options.account !== undefined ? { accountId: accountIdOf(core, options.account) } : {}), dryRun: options.dryRun });
      if (options.json) io.out(JSON.stringify({ ok: true, ...report }));
      else io.out(`${report.dryRun ? 'Would purge' : 'Purged'} ${report.purged} entries${report.accounts.some((a) => a.legalHold) ? `; on legal hold, untouched: ${report.accounts.filter((a) => a.legalHold).map((a) => a.accountId).join(', ')}` : ''}${report.tombstone ? `. Tombstone checkpoint signed over ${report.tombstone.size} entries.` : '.'}`);
      return 0;
    }),
  );
}
