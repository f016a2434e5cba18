import type { Role } from '../../contracts/index.ts';
import { CoreError } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import { requireInstallation } from '../../storage/index.ts';
import type { CliIo } from '../output.ts';
import { withOperator } from './api.ts';
import type { StorageCommandOptions } from './common.ts';
import { runStorageCommand, secretsFor } from './common.ts';

function report(io: CliIo, json: boolean, value: unknown, text: string): number {
  io.out(json ? JSON.stringify({ ok: true, value }) : text);
  return 0;
}

export interface IdpSetOptions extends StorageCommandOptions {
  issuer: string;
  clientId: string;
  groupsClaim: string;
  algs: string;
  offlineGraceHours: number;
  clientSecret?: string;
}

export function idpSetCommand(io: CliIo, options: IdpSetOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const algorithms = options.algs.split(',').map((a) => a.trim()).filter(Boolean) as Array<'RS256' | 'PS256' | 'ES256'>;
      const value = await api.call('admin.idp.set', {
        issuer: options.issuer,
        clientId: options.clientId,
        groupsClaim: options.groupsClaim,
        algorithms,
        offlineGraceHours: options.offlineGraceHours,
        ...(options.clientSecret === undefined ? {} : { clientSecret: options.clientSecret }),
      });
      const ended = value.localSessionsEnded > 0 ? ` ${value.localSessionsEnded} local session${value.localSessionsEnded === 1 ? '' : 's'} ended.` : '';
      return report(io, options.json, value, `Identity provider set: ${value.issuer}. Local sign-in is now off; people sign in through it.${ended} To go back to local mode: strongroom admin idp clear`);
    }),
  );
}

/** `strongroom admin idp clear`: back to local mode, from the server (the way back when nobody can sign in through the IdP). */
export function idpClearCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const value = await api.call('admin.idp.clear', {});
      const text = value.cleared
        ? `Identity provider ${value.issuer} removed; ${value.sessionsEnded} session${value.sessionsEnded === 1 ? '' : 's'} through it ended. Local mode: the local administrator signs in with the passphrase again (change it with: strongroom admin passphrase).`
        : 'No identity provider was configured: this installation already runs in local mode.';
      return report(io, options.json, value, text);
    }),
  );
}

export function idpShowCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const config = await api.call('admin.idp.get', {});
      const text = config
        ? [`issuer        ${config.issuer}`, `client id     ${config.clientId}`, `client secret ${config.hasClientSecret ? 'in the keychain' : 'none (public client with PKCE)'}`, `groups claim  ${config.groupsClaim}`, `algorithms    ${config.algorithms.join(', ')}`, `offline grace ${config.offlineGraceHours} h`].join('\n')
        : 'No identity provider: this installation runs in local mode.';
      return report(io, options.json, config, text);
    }),
  );
}

export interface MapGroupOptions extends StorageCommandOptions {
  group: string;
  account: string;
  role: Role;
}

export function mapGroupCommand(io: CliIo, options: MapGroupOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const mapping = await api.call('admin.groups.map', { accountId: await api.resolveAccountId(options.account), group: options.group, role: options.role });
      const text = mapping.created
        ? `Group "${mapping.group}" → ${mapping.role} in ${options.account}. Members get it at their next sign-in.`
        : `Group "${mapping.group}" was already mapped to ${mapping.role} in ${options.account}; nothing changed.`;
      return report(io, options.json, mapping, text);
    }),
  );
}

export function unmapGroupCommand(io: CliIo, options: MapGroupOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const accountId = await api.resolveAccountId(options.account);
      const mapping = (await api.call('admin.groups.list', { accountId })).find((m) => m.group === options.group && m.role === options.role);
      if (!mapping) throw new CoreError('ERR_NOT_FOUND', `Group "${options.group}" is not mapped to ${options.role} in ${options.account}.`);
      await api.call('admin.groups.unmap', { accountId, mappingId: mapping.id });
      return report(io, options.json, { removed: true }, `Removed: group "${options.group}" → ${options.role} in ${options.account}. Members lose it when their sessions are next checked with the identity provider (within 15 minutes) or at their next sign-in.`);
    }),
  );
}

export function accountsListCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const accounts = await api.call('admin.accounts.list', {});
      return report(io, options.json, accounts, accounts.map((a) => `${a.name.padEnd(24)} ${String(a.members).padStart(4)} members   ${a.id}`).join('\n'));
    }),
  );
}

/** `strongroom admin approvals --account NAME [--four-eyes on|off]`: shows, or sets, the account's four-eyes rule. */
export function approvalsCommand(io: CliIo, options: StorageCommandOptions & { account: string; fourEyes?: 'on' | 'off' }): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const accountId = await api.resolveAccountId(options.account);
      const policy = options.fourEyes === undefined
        ? await api.call('workflows.approvalPolicy.get', { accountId })
        : await api.call('workflows.approvalPolicy.set', { accountId, fourEyes: options.fourEyes === 'on' });
      const text = policy.fourEyes
        ? `Four-eyes is on in ${options.account}: every approval needs someone other than whoever started the run or prepared the draft.`
        : `Four-eyes is off in ${options.account}: each workflow's own approval rules apply.`;
      return report(io, options.json, policy, text);
    }),
  );
}

/** `strongroom admin sessions list`: who is signed in now, in every account (from the database, so a running serve's sessions too). */
export function sessionsListCommand(io: CliIo, options: StorageCommandOptions): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const sessions = await api.call('admin.sessions.list', {});
      const when = (iso: string) => iso.slice(0, 16).replace('T', ' ');
      const text = sessions.length === 0
        ? 'Nobody is signed in.'
        : sessions.map((s) => `${`${s.displayName}${s.email === null ? '' : ` <${s.email}>`}`.padEnd(40)} ${s.kind.padEnd(5)} ${s.accountName.padEnd(20)} since ${when(s.startedAt)}  seen ${s.lastSeenAt === null ? '-' : when(s.lastSeenAt)}  verified ${when(s.verifiedAt)}  ends ${when(s.endsAt)} UTC  ${s.handle}  ${s.userId}`).join('\n');
      return report(io, options.json, sessions, text);
    }),
  );
}

/**
 * `strongroom admin sessions end (--user ID | --session HANDLE)`: ends one session, or every
 * session of one person, audited; a running serve ends it too at its next look at the session
 * (a call, or its event stream's heartbeat) and its pages say an administrator ended it.
 */
export function sessionsEndCommand(io: CliIo, options: StorageCommandOptions & { user?: string; session?: string }): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      if ((options.user === undefined) === (options.session === undefined)) throw new CoreError('ERR_INPUT_INVALID', 'Give either --user ID or --session HANDLE (see: strongroom admin sessions list).');
      const value = await api.call('admin.sessions.end', options.user !== undefined ? { userId: options.user } : { handle: options.session! });
      const text = `${value.ended} session${value.ended === 1 ? '' : 's'} ended. Their open pages go to the sign-in page saying an administrator ended the session; the person can sign in again unless their access is removed too (group mappings, or the identity provider).`;
      return report(io, options.json, value, text);
    }),
  );
}

export function accountsCreateCommand(io: CliIo, options: StorageCommandOptions & { name: string }): Promise<number> {
  return runStorageCommand(io, options.json, () =>
    withOperator(io, options, async (api) => {
      const account = await api.call('admin.accounts.create', { name: options.name });
      return report(io, options.json, account, `Created account ${account.name} (${account.id}) with its own data key.`);
    }),
  );
}

export function passphraseCommand(io: CliIo, options: StorageCommandOptions & { passphrase: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    requireInstallation(options.dataDir);
    const core = await createCore({ dataDir: options.dataDir, mode: 'cli', heartbeatMs: 0, secrets: secretsFor(io, options.env) });
    try {
      await core.identity!.setLocalPassphrase(options.passphrase);
      return report(io, options.json, { changed: true }, 'The local administrator passphrase was changed.');
    } finally {
      await core.dispose();
    }
  });
}

/** Reads a secret from standard input (never from an argument, where it would reach shell history and `ps`). */
export async function readSecretFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
