import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { buildInfo, defaultDataDir } from '../base/index.ts';
import { roles } from '../contracts/index.ts';
import type { DataClassification, Role } from '../contracts/index.ts';
import { auditExportCommand, auditPublicKeyCommand, auditPurgeCommand, auditRetentionCommand, auditVerifyCommand } from './commands/audit.ts';
import { accountsCreateCommand, approvalsCommand, accountsListCommand, idpClearCommand, idpSetCommand, idpShowCommand, mapGroupCommand, passphraseCommand, readSecretFromStdin, sessionsEndCommand, sessionsListCommand, unmapGroupCommand } from './commands/admin.ts';
import { backupCommand, restoreCommand } from './commands/backup.ts';
import { demoCommand } from './commands/demo.ts';
import { draftsExportCommand, draftsListCommand } from './commands/drafts.ts';
import { modelsAddCommand, modelsClassifyCommand, modelsDefaultCommand, modelsListCommand, modelsTestCommand, modelsVerifyCommand, parseClassifications } from './commands/models.ts';
import { doctorCommand } from './commands/doctor.ts';
import { infoCommand } from './commands/info.ts';
import { initCommand } from './commands/init.ts';
import { keysRotateCommand } from './commands/keys.ts';
import { runCommand, runsAnswerCommand, runsCancelCommand, runsListCommand, runsReplayCommand, runsResumeCommand, runsShowCommand } from './commands/runs.ts';
import { typed } from './commands/common.ts';
import { serveCommand } from './commands/serve.ts';
import { feedbackListCommand, tracesExportCommand, tracesListCommand, tracesPurgeCommand, tracesPushCommand, tracesRetentionCommand } from './commands/traces.ts';
import type { TracesListOptions, TracesPushOptions } from './commands/traces.ts';
import { toolsAllowCommand, toolsListCommand, toolsMcpAddCommand, toolsMcpListCommand, toolsMcpRemoveCommand } from './commands/tools.ts';
import { withCliCore, workflowsImportCommand, workflowsListCommand, workflowsValidateCommand } from './commands/workflows.ts';
import type { CliIo } from './output.ts';
import { processIo } from './output.ts';

/** `--limit` of a list command: at most what its API method returns in one call. */
function listLimit(max: number): (value: string) => number {
  return (value) => {
    const count = Number(value);
    if (!Number.isInteger(count) || count < 1 || count > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}.`);
    return count;
  };
}

function parseBatchSize(value: string): number {
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > 100_000) throw new InvalidArgumentError('must be a whole number from 1 to 100000.');
  return size;
}

function parseHours(value: string): number {
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours < 0 || hours > 720) throw new InvalidArgumentError('must be a number of hours from 0 to 720.');
  return hours;
}

function parseRole(value: string): Role {
  if (!(roles as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of: ${roles.join(', ')}.`);
  return value as Role;
}

function parseFormat(value: string): 'jsonl' | 'csv' | 'pdf' {
  if (value !== 'jsonl' && value !== 'csv' && value !== 'pdf') throw new InvalidArgumentError('must be jsonl, csv or pdf.');
  return value;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 36_500) throw new InvalidArgumentError('must be a whole number of days from 1 to 36500.');
  return days;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function parsePositive(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 1_048_576) throw new InvalidArgumentError('must be a whole number from 1 to 1048576.');
  return number;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535.');
  return port;
}

/**
 * Builds the `strongroom` command tree (commander: well kept, gives help, errors and options
 * parsing for free). Each command's work lives in commands/; this file only wires options.
 */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('strongroom')
    .description('Strongroom: an on-prem agent workbench for regulated enterprises.')
    .version(buildInfo().version, '-v, --version', 'print the version')
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride()
    .showHelpAfterError('(run strongroom --help for usage)');

  program
    .command('info')
    .description('show version, run mode, data directory and build')
    .option('--data-dir <dir>', 'data directory', defaultDataDir())
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await infoCommand(io, options)));

  program
    .command('serve')
    .description('serve the app and its API on a loopback address and print {"url","token"} as one JSON line')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parsePort, 0)
    .option('--host <address>', 'loopback address to bind (127.0.0.1 or ::1)', '127.0.0.1')
    .option('--data-dir <dir>', 'data directory', defaultDataDir())
    .action(async (options: { port: number; host: string; dataDir: string }, command: Command) => setExitCode(await serveCommand(io, { ...options, dataDirNamed: command.getOptionValueSource('dataDir') !== 'default' })));

  program
    .command('init')
    .description('create the encrypted database, the master key (OS keychain, or STRONGROOM_MASTER_KEY), a default account and the local administrator')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await initCommand(io, { ...options, env })));

  program
    .command('doctor')
    .description('check the keychain, master key, database integrity, schema version and data keys; changes nothing')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await doctorCommand(io, { ...options, env })));

  program
    .command('backup')
    .description('copy the database while Strongroom runs (SQLite online backup); the copy is ciphertext, so back up the master key separately')
    .requiredOption('--out <file>', 'new file to write')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { out: string; dataDir: string; json: boolean }) => setExitCode(await backupCommand(io, { ...options, env })));

  program
    .command('restore')
    .description('restore a backup into a stopped installation')
    .argument('<file>', 'backup file made by strongroom backup')
    .option('--force', 'replace an existing database (it is kept beside it)', false)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (file: string, options: { force: boolean; dataDir: string; json: boolean }) => setExitCode(await restoreCommand(io, { ...options, file, env })));

  const admin = program.command('admin').description('administer the installation: identity provider, accounts, group mappings, sessions');
  const idp = admin.command('idp').description('the enterprise identity provider (OIDC)');
  idp
    .command('set')
    .description('configure the identity provider (map a group to admin first); local sign-in turns off')
    .requiredOption('--issuer <url>', 'the IdP issuer URL (https)')
    .requiredOption('--client-id <id>', 'the client id registered for Strongroom')
    .option('--client-secret-stdin', 'read a client secret from standard input (kept in the OS keychain)', false)
    .option('--groups-claim <claim>', 'ID token claim listing the user\'s groups', 'groups')
    .option('--algs <list>', 'allowed ID token signing algorithms (RS256, PS256, ES256)', 'RS256')
    .option('--offline-grace-hours <hours>', 'how long a signed-in laptop keeps working without reaching the IdP', parseHours, 8)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { issuer: string; clientId: string; clientSecretStdin: boolean; groupsClaim: string; algs: string; offlineGraceHours: number; dataDir: string; json: boolean }) => {
      const clientSecret = options.clientSecretStdin ? await readSecretFromStdin() : undefined;
      setExitCode(await idpSetCommand(io, { ...options, env, ...(clientSecret === undefined ? {} : { clientSecret }) }));
    });
  idp
    .command('show')
    .description('show the identity provider configuration')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await idpShowCommand(io, { ...options, env })));
  idp
    .command('clear')
    .description('remove the identity provider and return to local mode (the local administrator signs in again)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await idpClearCommand(io, { ...options, env })));
  admin
    .command('map-group')
    .description('give members of an IdP group a role in an account (from their next sign-in)')
    .argument('<group>', 'the group name as the IdP sends it')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--role <role>', `one of: ${roles.join(', ')}`, parseRole)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (group: string, options: { account: string; role: Role; dataDir: string; json: boolean }) => setExitCode(await mapGroupCommand(io, { ...options, group, env })));
  admin
    .command('unmap-group')
    .description('remove a group mapping (members lose the role when their session is next checked with the IdP, within 15 minutes, or at their next sign-in)')
    .argument('<group>', 'the group name')
    .requiredOption('--account <name>', 'account name')
    .requiredOption('--role <role>', `one of: ${roles.join(', ')}`, parseRole)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (group: string, options: { account: string; role: Role; dataDir: string; json: boolean }) => setExitCode(await unmapGroupCommand(io, { ...options, group, env })));
  const accounts = admin.command('accounts').description('isolated accounts on this installation');
  accounts
    .command('list')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await accountsListCommand(io, { ...options, env })));
  accounts
    .command('create')
    .argument('<name>', 'account name')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (name: string, options: { dataDir: string; json: boolean }) => setExitCode(await accountsCreateCommand(io, { ...options, name, env })));
  const sessions = admin.command('sessions').description('who is signed in, and ending their sessions (offboarding, a lost laptop)');
  sessions
    .command('list')
    .description('sessions signed in now, in every account: person, kind, account, times, handle and user id')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await sessionsListCommand(io, { ...options, env })));
  sessions
    .command('end')
    .description('end one session (--session HANDLE) or every session of one person (--user ID); a running serve ends it at its next look, and the person\'s pages say an administrator ended it')
    .option('--user <id>', 'the person\'s user id (from sessions list)')
    .option('--session <handle>', 'one session\'s handle (from sessions list)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { user?: string; session?: string; dataDir: string; json: boolean }) => setExitCode(await sessionsEndCommand(io, { ...options, env })));
  admin
    .command('approvals')
    .description('an account\'s approval policy: four-eyes on every approval (maker–checker), or each workflow\'s own rules')
    .requiredOption('--account <name>', 'account name')
    .addOption(new Option('--four-eyes <state>', 'turn it on or off (without it: show it)').choices(['on', 'off']))
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { account: string; fourEyes?: 'on' | 'off'; dataDir: string; json: boolean }) => setExitCode(await approvalsCommand(io, { ...options, env })));
  admin
    .command('passphrase')
    .description('set the local administrator passphrase, read from standard input (local mode)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await passphraseCommand(io, { ...options, env, passphrase: await readSecretFromStdin() })));

  const models = program.command('models').description('local GGUF models and OpenAI-compatible endpoints');
  models
    .command('list')
    .description('list the models, their location and which accounts may use them')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await modelsListCommand(io, { ...options, env })));
  models
    .command('add')
    .description('add a local GGUF (--path, checksum verified) or an endpoint (--endpoint)')
    .requiredOption('--id <id>', 'model id (lower-case letters, digits, . _ -)')
    .requiredOption('--name <name>', 'display name')
    .option('--path <file>', 'absolute path of a GGUF file')
    .option('--sha256 <hex>', 'expected SHA-256 of the file (computed and recorded when omitted)')
    .option('--threads <n>', 'threads for a local model', parsePositive)
    .option('--context-size <n>', 'context size in tokens', parsePositive)
    .option('--chat-template <file>', 'a Jinja chat template file used instead of the one inside the GGUF')
    .option('--endpoint <url>', 'OpenAI-compatible base URL, e.g. https://llm.bank.internal/v1')
    .option('--remote-model <name>', 'the model name the server knows (default: the id)')
    .option('--ca-file <file>', 'PEM of the CA to trust for the endpoint')
    .option('--api-key-stdin', 'read the endpoint API key from standard input (kept in the OS keychain)', false)
    .option('--account <name>', 'an account that may use it; repeatable', collect, [])
    .option('--all-accounts', 'every account may use it', false)
    .option('--classification <level>', 'data it may serve: public, internal, confidential, restricted; repeatable (default public and internal)', collect, [])
    .option('--classifications <list>', 'the same as a comma-separated list, e.g. public,internal,confidential', parseClassifications)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(
      async (options: { id: string; name: string; path?: string; sha256?: string; threads?: number; contextSize?: number; chatTemplate?: string; endpoint?: string; remoteModel?: string; caFile?: string; apiKeyStdin: boolean; account: string[]; allAccounts: boolean; classification: string[]; classifications?: DataClassification[]; dataDir: string; json: boolean }) => {
        const { apiKeyStdin, ...rest } = options;
        setExitCode(await modelsAddCommand(io, { ...rest, env, ...(apiKeyStdin ? { apiKey: await readSecretFromStdin() } : {}) }));
      },
    );
  models
    .command('classify')
    .description('set which data classifications a model may serve (audited)')
    .argument('<id>', 'model id')
    .requiredOption('--classifications <list>', 'comma-separated: public, internal, confidential, restricted', parseClassifications)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (id: string, options: { classifications: DataClassification[]; dataDir: string; json: boolean }) => setExitCode(await modelsClassifyCommand(io, { ...options, id, env })));
  models
    .command('default')
    .description('choose the model an account uses when a workflow and its person name none (audited); --clear: its first real model again')
    .argument('[id]', 'model id (a real model available to the account)')
    .requiredOption('--account <name>', 'account name or id')
    .option('--clear', 'forget the choice', false)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (id: string | undefined, options: { account: string; clear: boolean; dataDir: string; json: boolean }) => setExitCode(await modelsDefaultCommand(io, { ...options, id, env })));
  models
    .command('verify')
    .description('hash a local model file now and compare it with its recorded SHA-256 (exit 1 on a mismatch)')
    .argument('<id>', 'model id')
    .option('--record', 'record the computed SHA-256 if none is recorded (never replaces one)', false)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (id: string, options: { record: boolean; dataDir: string; json: boolean }) => setExitCode(await modelsVerifyCommand(io, { ...options, id, env })));
  models
    .command('test')
    .description('check a model\'s health and run a short test prompt')
    .argument('<id>', 'model id')
    .option('--prompt <text>', 'the prompt', 'Say hello.')
    .option('--max-tokens <n>', 'most tokens to generate', parsePositive, 32)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (id: string, options: { prompt: string; maxTokens: number; dataDir: string; json: boolean }) => setExitCode(await modelsTestCommand(io, { ...options, id, env })));

  program
    .command('demo')
    .description('make a fresh install runnable without a real model: write and register a generated test model (its text is meaningless)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { dataDir: string; json: boolean }) => setExitCode(await demoCommand(io, { ...options, env })));

  const audit = program.command('audit').description('the tamper-evident audit log: verify, export, retention');
  audit
    .command('verify')
    .description('verify a JSONL export offline (chain, Merkle roots, signatures), or without FILE this installation\'s own log; exit 1 on any failure')
    .argument('[file]', 'an export made by `strongroom audit export --format jsonl`')
    .option('--public-key <file>', 'trust only this public key (PEM or base64), from `strongroom audit public-key`; repeatable', collect, [])
    .option('--data-dir <dir>', 'data directory (when verifying the installation\'s log)', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (file: string | undefined, options: { publicKey: string[]; dataDir: string; json: boolean }) => setExitCode(await auditVerifyCommand(io, { ...options, ...(file === undefined ? {} : { file }), env })));
  audit
    .command('export')
    .description('export entries: jsonl (verifiable offline), csv, or a pdf summary; as the local operator, every account')
    .requiredOption('--format <format>', 'jsonl, csv or pdf', parseFormat)
    .requiredOption('--out <file>', 'new file to write')
    .option('--from <time>', 'entries at or after this date or ISO-8601 time')
    .option('--to <time>', 'entries at or before this date (the whole day, UTC) or ISO-8601 time')
    .option('--actor <user>', 'entries by this person: user id, email or display name')
    .option('--account <name>', 'entries concerning this account (name or id)')
    .option('--action <action>', 'this action, or a prefix ending in * or . (auth.*)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { format: 'jsonl' | 'csv' | 'pdf'; out: string; from?: string; to?: string; actor?: string; account?: string; action?: string; dataDir: string; json: boolean }) => setExitCode(await auditExportCommand(io, { ...options, env })));
  audit
    .command('public-key')
    .description('print the Ed25519 public key(s) that sign checkpoints, for verifiers to pin')
    .option('--out <file>', 'also write the active key (PEM) to this new file')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { out?: string; dataDir: string; json: boolean }) => setExitCode(await auditPublicKeyCommand(io, { ...options, env })));
  audit
    .command('retention')
    .description('show or set an account\'s minimum retention and legal hold')
    .requiredOption('--account <name>', 'account name or id')
    .option('--days <days>', 'keep entries at least this many days', parseDays)
    .option('--hold', 'place a legal hold: nothing of the account is purged or deleted')
    .option('--release', 'release the legal hold')
    .option('--reason <text>', 'why the hold is placed or released (required with --hold and --release; e.g. a case number)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { account: string; days?: number; hold?: boolean; release?: boolean; reason?: string; dataDir: string; json: boolean }) => {
      setExitCode(await auditRetentionCommand(io, { account: options.account, dataDir: options.dataDir, json: options.json, env, ...(options.days !== undefined ? { days: options.days } : {}), ...(options.hold ? { hold: true } : {}), ...(options.release ? { release: true } : {}), ...(options.reason !== undefined ? { reason: options.reason } : {}) }));
    });
  audit
    .command('purge')
    .description('remove the content of entries past their account\'s retention (never under legal hold); hashes stay and a signed tombstone records it')
    .option('--account <name>', 'only this account (default: every account)')
    .option('--dry-run', 'count what would go, change nothing', false)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async (options: { account?: string; dryRun: boolean; dataDir: string; json: boolean }) => setExitCode(await auditPurgeCommand(io, { ...options, env })));

  const keys = program.command('keys').description('manage encryption keys');
  keys
    .command('rotate')
    .description('start a new data key version and re-encrypt content in batches, without stopping the app')
    .option('--account <name>', 'only this account (default: every account)')
    .option('--master', 'also replace the master key and re-wrap every data key', false)
    .option('--new-key-stdin', 'with --master and STRONGROOM_MASTER_KEY: read the new master key (base64, 32 bytes, made by your secret manager) from standard input', false)
    .option('--batch-size <rows>', 'rows per transaction', parseBatchSize, 500)
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false)
    .action(async ({ newKeyStdin, ...options }: { account?: string; master: boolean; newKeyStdin: boolean; batchSize: number; dataDir: string; json: boolean }) => {
      // Standard input is read only when it will be used; without --master the command refuses the flag.
      const newKey = newKeyStdin ? (options.master ? await readSecretFromStdin() : '') : undefined;
      setExitCode(await keysRotateCommand(io, { ...options, env, ...(newKey === undefined ? {} : { newKey }) }));
    });

  addWorkflowCommands(program, io, setExitCode, env);
  addToolCommands(program, io, setExitCode, env);

  return program;
}

/** `tools …`: the tools workflows may call, MCP servers, and each account's allow-list. */
function addToolCommands(program: Command, io: CliIo, setExitCode: (code: number) => void, env: NodeJS.ProcessEnv): void {
  type Common = { dataDir: string; json: boolean };
  const common = (command: Command): Command => command
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false);
  const tools = program.command('tools').description('tools for workflows: built-ins, MCP servers, per-account allow-lists');
  common(tools.command('list').description('the tools an account may use').option('--account <name>', 'account name (default: the first account)'))
    .action(async (options: Common & { account?: string }) => setExitCode(await toolsListCommand(io, { ...options, env })));
  const mcp = tools.command('mcp').description('MCP servers (installation-wide; each account must allow their tools)');
  common(mcp.command('list').description('the configured MCP servers'))
    .action(async (options: Common) => setExitCode(await toolsMcpListCommand(io, { ...options, env })));
  common(mcp.command('add').description('add an MCP server: a command over stdio, or an http(s) URL').argument('<name>', 'server name; its tools are named <name>.<tool>')
    .option('--command <cmd>', 'the server\'s executable, started over stdio')
    .option('--arg <value>', 'an argument for the command; repeatable', collect, [])
    .option('--inherit-env <name>', 'an environment variable the command may inherit; repeatable', collect, [])
    .option('--url <url>', 'the server\'s streamable-HTTP endpoint (https unless on loopback when a token is given)')
    .option('--token-stdin', 'read a bearer token from standard input (kept in the OS keychain)', false))
    .action(async (name: string, options: Common & { command?: string; arg: string[]; inheritEnv: string[]; url?: string; tokenStdin: boolean }) => {
      const { tokenStdin, ...rest } = options;
      setExitCode(await toolsMcpAddCommand(io, { ...rest, name, env, ...(tokenStdin ? { token: await readSecretFromStdin() } : {}) }));
    });
  common(mcp.command('remove').description('remove an MCP server, its token and the allow-list entries naming it').argument('<name>', 'server name'))
    .action(async (name: string, options: Common) => setExitCode(await toolsMcpRemoveCommand(io, { ...options, name, env })));
  common(tools.command('allow').description('let an account use tools beyond the built-ins: exact names or <server>.*').argument('[entries...]', 'tool names or <server>.*')
    .requiredOption('--account <name>', 'account name')
    .option('--replace', 'set exactly these entries (none: built-ins only) instead of adding them', false))
    .action(async (entries: string[], options: Common & { account: string; replace: boolean }) => setExitCode(await toolsAllowCommand(io, { ...options, entries, env })));
}

type RunStatus = 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled';
function parseDraftFormat(value: string): 'docx' | 'pdf' | 'md' {
  if (value !== 'docx' && value !== 'pdf' && value !== 'md') throw new InvalidArgumentError('must be one of: docx, pdf, md.');
  return value;
}

function parseRunStatus(value: string): RunStatus {
  const statuses: readonly string[] = ['running', 'waiting', 'completed', 'failed', 'cancelled'];
  if (!statuses.includes(value)) throw new InvalidArgumentError(`must be one of: ${statuses.join(', ')}.`);
  return value as RunStatus;
}

/** `workflows …`, `run` and `runs …`: each acts as the local administrator in one account. */
function addWorkflowCommands(program: Command, io: CliIo, setExitCode: (code: number) => void, env: NodeJS.ProcessEnv): void {
  type Common = { account?: string; dataDir: string; json: boolean };
  const common = (command: Command): Command => command
    .option('--account <name>', 'account name (default: the first account)')
    .option('--data-dir <dir>', 'data directory', defaultDataDir(env))
    .option('--json', 'print one JSON object', false);
  const opened = (options: Common, body: Parameters<typeof withCliCore>[2]) => withCliCore(io, { dataDir: options.dataDir, json: options.json, env }, body);

  const workflows = program.command('workflows').description('workflow definitions: list, validate, import');
  common(workflows.command('list').description('list the workflows of the account, with their versions'))
    .action(async (options: Common) => setExitCode(await opened(options, (core) => workflowsListCommand(io, core, options))));
  common(workflows.command('validate').description('validate a definition (YAML or JSON) without importing it; exit 1 with each issue\'s path').argument('<file>', 'definition file'))
    .action(async (file: string, options: Common) => setExitCode(await opened(options, (core) => workflowsValidateCommand(io, core, { ...options, file }))));
  common(workflows.command('import').description('import a definition (YAML or JSON) as a new version in the account').argument('<file>', 'definition file'))
    .action(async (file: string, options: Common) => setExitCode(await opened(options, (core) => workflowsImportCommand(io, core, { ...options, file }))));

  common(program.command('run').description('run a workflow, print its progress, and end with run id, trace id, status and output').argument('<workflowId>', 'workflow id')
    .requiredOption('--input <file>', 'JSON file with the run input')
    .option('--model <id>', 'model to use (default: the account\'s default)'))
    .action(async (workflowId: string, options: Common & { input: string; model?: string }) => setExitCode(await opened(options, (core) => runCommand(io, core, { ...options, workflowId }))));

  const runs = program.command('runs').description('workflow runs: list, show, answer a human step, resume or retry, replay, cancel');
  common(runs.command('list').description('recent runs in the account')
    .option('--status <status>', 'only runs in this status', parseRunStatus)
    .option('--limit <count>', 'at most this many (up to 500)', listLimit(500), 50))
    .action(async (options: Common & { status?: RunStatus; limit: number }) => setExitCode(await opened(options, (core) => runsListCommand(io, core, options))));
  common(runs.command('answer').description('answer a waiting human step and follow the run until it settles').argument('<runId>', 'run id')
    .requiredOption('--step <path>', 'the waiting step\'s path (as `run` printed it)')
    .requiredOption('--input <file>', 'JSON file with the answer: {"approved":true,"comment":"…"}, {"text":"…"} or the step\'s form'))
    .action(async (runId: string, options: Common & { step: string; input: string }) => setExitCode(await opened(options, (core) => runsAnswerCommand(io, core, { ...options, runId }))));
  common(runs.command('show').description('a run, its steps, and what each waiting human step asks (prompt, who may answer, the answer file)').argument('<runId>', 'run id'))
    .action(async (runId: string, options: Common) => setExitCode(await opened(options, (core) => runsShowCommand(io, core, { ...options, runId }))));
  common(runs.command('resume').description('continue an interrupted run, or retry a failed one from the step that failed, and follow it until it settles').argument('<runId>', 'run id'))
    .action(async (runId: string, options: Common) => setExitCode(await opened(options, (core) => runsResumeCommand(io, core, { ...options, runId }))));
  common(runs.command('replay').description('re-run a past run on its recorded model and tool outputs (regression check) and follow it').argument('<runId>', 'run id')
    .addOption(new Option('--against <version>', 'the run\'s own version or the latest').choices(['same', 'latest']).default('same')))
    .action(async (runId: string, options: Common & { against: 'same' | 'latest' }) => setExitCode(await opened(options, (core) => runsReplayCommand(io, core, { ...options, runId }))));
  common(runs.command('cancel').description('cancel a run').argument('<runId>', 'run id'))
    .action(async (runId: string, options: Common) => setExitCode(await opened(options, (core) => runsCancelCommand(io, core, { ...options, runId }))));

  const traces = program.command('traces').description('traces of runs: list, export as OTLP/JSON, purge old ones or keep them for a set time, push to a collector');
  common(traces.command('list').description('recent traces in the account, newest first, filtered as on the Traces page')
    .option('--workflow <id>', 'only traces of this workflow')
    .option('--status <status>', 'only traces in this status (running, waiting, completed, failed, cancelled, interrupted)')
    .option('--model <id>', 'only traces of this model')
    .option('--user <id>', 'only traces this user started')
    .option('--since <time>', 'only traces started at or after this date or time')
    .option('--until <time>', 'only traces started before this date or time')
    .option('--flagged', 'only flagged traces')
    .option('--limit <count>', 'at most this many (up to 1000)', listLimit(1000), 50))
    .action(async (options: Common & TracesListOptions) => setExitCode(await opened(options, (core) => tracesListCommand(io, core, options))));
  common(traces.command('export').description('write traces as OTLP/JSON, all of them however many (content included when your role may read it)')
    .option('--trace <id>', 'one trace')
    .option('--since <time>', 'every trace started since this date or time')
    .option('--until <time>', 'with --since: only traces started before this date or time (default: now)')
    .requiredOption('--out <file>', 'new file to write'))
    .action(async (options: Common & { trace?: string; since?: string; until?: string; out: string }) => setExitCode(await opened(options, (core) => tracesExportCommand(io, core, options))));
  common(traces.command('purge').description('delete traces started before a time, with their spans; open, flagged and commented traces and those behind drafts stay, and nothing goes under a legal hold (audited)')
    .requiredOption('--before <time>', 'date or time, e.g. 2026-01-01')
    .option('--dry-run', 'count what would go, change nothing', false))
    .action(async (options: Common & { before: string; dryRun: boolean }) => setExitCode(await opened(options, (core) => tracesPurgeCommand(io, core, options))));
  common(traces.command('retention').description('show or set how long traces are kept before they are deleted automatically (off by default)')
    .option('--days <days>', 'delete traces this many days after they started', parseDays)
    .option('--off', 'keep traces until someone purges them', false))
    .action(async (options: Common & { days?: number; off: boolean }) => setExitCode(await opened(options, (core) => tracesRetentionCommand(io, core, options))));
  common(traces.command('push').description('show or set the OTLP/HTTP push to a collector (off by default)')
    .option('--endpoint <url>', 'collector traces endpoint, e.g. https://collector.bank.internal:4318/v1/traces')
    .option('--include-content', 'also push inputs and outputs (default: metadata only)', false)
    .option('--ca-file <file>', 'PEM file of the CA that signs the collector\'s certificate (instead of the public CAs)')
    .option('--clear-ca-file', 'trust the public CAs again')
    .option('--token-stdin', 'read the collector\'s token from standard input (kept in the OS keychain)', false)
    .option('--token-header <name>', 'the header that carries the token (default authorization, sent as "Bearer TOKEN")')
    .option('--clear-token', 'forget the collector\'s token')
    .option('--off', 'turn the push off', false))
    .action(async (options: Common & Omit<TracesPushOptions, 'token'> & { tokenStdin: boolean }) => {
      const { tokenStdin, ...rest } = options;
      const token = tokenStdin ? await readSecretFromStdin() : undefined;
      setExitCode(await opened(rest, (core) => tracesPushCommand(io, core, { ...rest, ...(token === undefined ? {} : { token }) })));
    });

  const drafts = program.command('drafts').description('documents drafted by workflows: list, export');
  common(drafts.command('list').description('drafts in the account, most recently changed first')
    .option('--limit <count>', 'at most this many (up to 500)', listLimit(500), 100))
    .action(async (options: Common & { limit: number }) => setExitCode(await opened(options, (core) => draftsListCommand(io, core, options))));
  common(drafts.command('export').description('export a draft with its provenance appendix (the export is audited)').argument('<draftId>', 'draft id')
    .requiredOption('--format <format>', 'docx, pdf or md', parseDraftFormat)
    .requiredOption('--out <file>', 'new file to write'))
    .action(async (draftId: string, options: Common & { format: 'docx' | 'pdf' | 'md'; out: string }) => setExitCode(await opened(options, (core) => draftsExportCommand(io, core, { ...options, draftId }))));

  const feedback = program.command('feedback').description('feedback on spans');
  common(feedback.command('list').description('the latest version of each feedback on a trace (--history: every version)')
    .requiredOption('--trace <id>', 'trace id')
    .option('--span <id>', 'only feedback on this span')
    .option('--history', 'every version of each feedback, oldest first, not only the latest', false))
    .action(async (options: Common & { trace: string; span?: string; history: boolean }) => setExitCode(await opened(options, (core) => feedbackListCommand(io, core, options))));
}

/** Runs the CLI and resolves with the process exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(io, (code) => { exitCode = code; }, env);
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    // --json promises one JSON object on stdout, also when the command line itself is wrong.
    const json = argv.includes('--json');
    if (error instanceof CommanderError) {
      if (json && error.exitCode !== 0) io.out(JSON.stringify({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: error.message.replace(/^error: /, '') } }));
      return error.exitCode;
    }
    const failure = typed(error);
    if (json) io.out(JSON.stringify({ ok: false, error: failure.toApiError() }));
    else io.err(`strongroom: ${failure.message}`);
    return 1;
  }
}
