import { z } from 'zod';
import type { HandlerContext, MethodHandlers, Principal } from '../../api/index.ts';
import type { AuditLog } from '../../audit/index.ts';
import { CoreError, silentLogger, systemClock } from '../../base/index.ts';
import type { Clock, Logger } from '../../base/index.ts';
import type { AddMcpServerInput, McpServerView, MethodOutput, toolMethods, ToolView } from '../../contracts/index.ts';
import { AddMcpServerInputSchema } from '../../contracts/index.ts';
import type { SecretStore } from '../../secrets/index.ts';
import { durableTransaction } from '../../storage/index.ts';
import type { Sealed } from '../../crypto/index.ts';
import type { Storage } from '../../storage/index.ts';
import type { Tool, ToolRegistry } from '../tools.ts';
import { McpToolSource } from './McpToolSource.ts';
import type { McpToolSourceOptions } from './McpToolSource.ts';
import { notUsableStatus } from './mcpStatus.ts';
import type { McpServerStatus } from './mcpStatus.ts';
import { parseMcpServerUrl } from './mcpTransport.ts';
import type { McpServerConfig } from './mcpTransport.ts';
import { createToolRegistry } from './registry.ts';
import { SqliteToolCallLedger } from './ToolCallLedger.ts';
import type { ToolCallRef, ToolResultCodec } from './ToolCallLedger.ts';
import { invalidInput, toolError } from './toolErrors.ts';

/**
 * Seals the ledger's `tool_calls.result` under the calling account's data key, bound to the
 * idempotency key (tool_calls is in appSealedTables, so key rotation re-seals it).
 */
export function sealedToolResults(storage: Storage): ToolResultCodec {
  const at = (ref: ToolCallRef) => ({ table: 'tool_calls', rowId: ref.idempotencyKey, column: 'result' });
  return {
    encode(ref, json) {
      const scope = storage.scopeFor({ accountId: ref.accountId });
      if (!storage.db.inTransaction) scope.prepareForWrite();
      return scope.sealText(at(ref), json);
    },
    decode(ref, stored) {
      return storage.scopeFor({ accountId: ref.accountId }).open(at(ref), (typeof stored === 'string' ? Buffer.from(stored, 'utf8') : stored) as Sealed<string>);
    },
  };
}

/** Name of an MCP server's bearer token in the SecretStore. */
export function mcpTokenSecretName(installationId: string, server: string): string {
  return `${installationId}/mcp-token/${server}`;
}

export interface ToolConfigOptions {
  storage: Storage;
  audit: AuditLog;
  secrets: SecretStore;
  /** Read-only built-ins: every account may use them. */
  builtins: readonly Tool[];
  /** Passed to every MCP source (timeouts, reconnect backoff); default ledger: tool_calls, sealed per account. */
  mcp?: Omit<McpToolSourceOptions, 'server' | 'logger'>;
  /** A registry that replaces this one for the engine (CoreConfig.tools); `tools.list` then reports it. */
  override?: ToolRegistry;
  clock?: Clock;
  logger?: Logger;
}

interface ServerRow {
  name: string;
  transport: 'stdio' | 'http';
  command: string | null;
  args: string;
  inherit_env: string;
  url: string | null;
  has_token: number;
  created_at: number;
}

type Actor = Pick<Principal, 'userId' | 'accountId' | 'roles'>;
type AccountMcpServer = MethodOutput<'tools.servers'>[number];

function actorOf(principal: Actor): { userId: string; accountId: string | null; roles: readonly string[] } {
  return { userId: principal.userId, accountId: principal.accountId, roles: principal.roles };
}

function invalid(path: string, message: string): CoreError {
  return new CoreError('ERR_INPUT_INVALID', `${path} ${message}.`, { details: { issues: [{ path, message }] } });
}

/**
 * The installation's tool configuration: MCP servers an administrator added (tokens in the
 * SecretStore only) and each account's allow-list. `registry` is the engine's ToolRegistry: the
 * built-ins for every account, plus the MCP tools the account's entries allow, re-read from the
 * database on every lookup so a change applies at once. Servers connect on first use.
 */
export class ToolConfig {
  readonly registry: ToolRegistry;
  private readonly storage: Storage;
  private readonly audit: AuditLog;
  private readonly secrets: SecretStore;
  private readonly builtins: readonly Tool[];
  private readonly builtinNames: ReadonlySet<string>;
  private readonly mcpOptions: ToolConfigOptions['mcp'];
  private readonly override: ToolRegistry | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly sources = new Map<string, { fingerprint: string; source: McpToolSource }>();
  private disposed = false;

  constructor(options: ToolConfigOptions) {
    this.storage = options.storage;
    this.audit = options.audit;
    this.secrets = options.secrets;
    this.builtins = options.builtins;
    this.builtinNames = new Set(options.builtins.map((tool) => tool.name));
    this.mcpOptions = { ledger: new SqliteToolCallLedger({ db: options.storage.db, codec: sealedToolResults(options.storage), ...(options.clock === undefined ? {} : { clock: options.clock }) }), ...options.mcp };
    this.override = options.override;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.registry = {
      get: (name, accountId) => this.get(name, accountId),
      list: (accountId) => this.current().list(accountId),
    };
  }

  /** The account's tools for the Workflows page: allowed servers are connected first (bounded by their connect timeout). */
  async listTools(principal: Actor): Promise<ToolView[]> {
    const accountId = principal.accountId;
    if (this.override !== undefined) return accountId === null ? [] : this.override.list(accountId).map(viewOf);
    if (accountId === null) return this.builtins.map(viewOf);
    const entries = this.entries(accountId);
    this.sync();
    const wanted = [...this.sources.values()].filter(({ source }) => serverAllowed(entries, source.name) && source.state !== 'connected');
    await Promise.allSettled(wanted.map(({ source }) => source.connect()));
    return this.registry.list(accountId).map(viewOf);
  }

  /**
   * The MCP servers the account's allow-list names, each with its status, for the Tools page:
   * those not connected are tried first (as `listTools` does), and `test` — one of them — is
   * tried afresh even if connected. Another server's name is ERR_NOT_FOUND: an account learns
   * nothing of servers it was not allowed.
   */
  async accountServers(principal: Actor, test?: string): Promise<AccountMcpServer[]> {
    const accountId = principal.accountId;
    if (this.override !== undefined || accountId === null) {
      if (test !== undefined) throw new CoreError('ERR_NOT_FOUND', `No MCP server named ${test} is allowed in this account.`, { details: { server: test } });
      return [];
    }
    const entries = [...this.entries(accountId)].sort();
    const named = new Map<string, string[]>();
    for (const entry of entries) {
      const dot = entry.indexOf('.');
      if (dot > 0) named.set(entry.slice(0, dot), [...(named.get(entry.slice(0, dot)) ?? []), entry]);
    }
    if (test !== undefined && !named.has(test)) throw new CoreError('ERR_NOT_FOUND', `No MCP server named ${test} is allowed in this account.`, { details: { server: test } });
    this.sync();
    await Promise.all([...named.keys()].map(async (name) => {
      const source = this.sources.get(name)?.source;
      if (source === undefined) return;
      if (name === test) await source.probe();
      else if (source.state !== 'connected') await source.connect().catch(() => undefined); // the status says why
    }));
    return [...named].sort(([a], [b]) => a.localeCompare(b)).map(([name, named]) => ({ name, entries: named, ...this.statusOf(name) }));
  }

  /** The configured servers with their last known status; connects nothing. */
  listServers(): McpServerView[] {
    this.sync();
    return this.rows().map((row) => ({ ...serverView(row), status: this.statusOf(row.name) }));
  }

  /** Tries one configured server now (see McpToolSource.probe) and returns it with its status. */
  async testServer(name: string): Promise<McpServerView> {
    const row = this.row(name);
    if (row === undefined) throw new CoreError('ERR_NOT_FOUND', `There is no MCP server named ${name}.`, { details: { server: name } });
    this.sync();
    await this.sources.get(name)?.source.probe();
    return { ...serverView(row), status: this.statusOf(name) };
  }

  async addServer(principal: Actor, input: AddMcpServerInput, requestId: string | null): Promise<McpServerView> {
    const server = AddMcpServerInputSchema.parse(input);
    if (this.row(server.name) !== undefined) {
      throw new CoreError('ERR_CONFLICT', `An MCP server named ${server.name} already exists; remove it first or choose another name.`, { details: { server: server.name } });
    }
    const token = server.transport === 'http' ? server.token : undefined;
    if (server.transport === 'http') {
      try {
        parseMcpServerUrl({ name: server.name, transport: 'http', url: server.url, ...(token === undefined ? {} : { getBearerToken: () => Promise.resolve(null) }) });
      } catch (error) {
        throw invalid('url', error instanceof RangeError ? error.message.replace(/^MCP server \S+ /, '') : 'is not a valid URL');
      }
    }
    const secretName = mcpTokenSecretName(this.storage.installationId, server.name);
    if (token !== undefined) {
      if (!this.secrets.writable) {
        throw new CoreError('ERR_SECRETS_UNAVAILABLE', `The secret store (${this.secrets.describe()}) is read-only, so the token of MCP server ${server.name} cannot be stored; run with the OS keychain available.`, { details: { server: server.name } });
      }
      await this.secrets.set(secretName, token);
    }
    try {
      durableTransaction(this.storage.db, () => {
        this.storage.db
          .prepare('INSERT INTO mcp_servers (name, transport, command, args, inherit_env, url, has_token, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(
            server.name,
            server.transport,
            server.transport === 'stdio' ? server.command : null,
            JSON.stringify(server.transport === 'stdio' ? server.args : []),
            JSON.stringify(server.transport === 'stdio' ? server.inheritEnv : []),
            server.transport === 'http' ? server.url : null,
            token === undefined ? 0 : 1,
            principal.userId,
            this.clock.now(),
          );
        this.audit.append({
          action: 'tools.mcp.add',
          outcome: 'success',
          actor: actorOf(principal),
          resource: `mcp-server:${server.name}`,
          requestId,
          details: { transport: server.transport, location: server.transport === 'stdio' ? server.command : server.url, token: token !== undefined },
        });
      });
    } catch (error) {
      if (token !== undefined) await this.secrets.delete(secretName).catch(() => false);
      throw error;
    }
    // Tried once, so whoever added it learns at once whether it starts; one that cannot be
    // reached is kept (it may be down today), its status saying why.
    return this.testServer(server.name);
  }

  async removeServer(principal: Actor, name: string, requestId: string | null): Promise<{ removed: boolean }> {
    const row = this.row(name);
    if (row === undefined) throw new CoreError('ERR_NOT_FOUND', `There is no MCP server named ${name}.`, { details: { server: name } });
    durableTransaction(this.storage.db, () => {
      this.storage.db.prepare('DELETE FROM mcp_servers WHERE name = ?').run(name);
      const dropped = this.storage.db.prepare("DELETE FROM tool_allow WHERE substr(entry, 1, length(?) + 1) = ? || '.'").run(name, name).changes;
      this.audit.append({ action: 'tools.mcp.remove', outcome: 'success', actor: actorOf(principal), resource: `mcp-server:${name}`, requestId, details: { transport: row.transport, allowEntriesRemoved: dropped } });
    });
    if (row.has_token === 1 && this.secrets.writable) await this.secrets.delete(mcpTokenSecretName(this.storage.installationId, name)).catch(() => false);
    await this.forget(name);
    return { removed: true };
  }

  /**
   * Whether a workflow in the account may name this tool: a built-in, or an MCP tool the account's
   * allow-list admits (by name or `<server>.*`). Known without connecting to any server.
   */
  mayUse(accountId: string, name: string): boolean {
    if (this.override !== undefined) return this.override.get(name, accountId) !== undefined;
    if (this.builtinNames.has(name)) return true;
    return name.includes('.') && toolAllowed(this.entries(accountId), name);
  }

  getAllowList(accountId: string): { accountId: string; entries: string[] } {
    this.checkAccount(accountId);
    return { accountId, entries: [...this.entries(accountId)].sort() };
  }

  setAllowList(principal: Actor, accountId: string, entries: readonly string[], requestId: string | null): { accountId: string; entries: string[] } {
    this.checkAccount(accountId);
    const unique = [...new Set(entries)].sort();
    const servers = new Set(this.rows().map((row) => row.name));
    for (const entry of unique) {
      const dot = entry.indexOf('.');
      if (dot < 0) {
        if (!this.builtinNames.has(entry)) throw invalid('entries', `names ${entry}, which is neither a built-in tool nor <server>.<tool>`);
      } else if (!servers.has(entry.slice(0, dot))) {
        throw invalid('entries', `names MCP server ${entry.slice(0, dot)}, which is not configured (add it with tools.mcp.add first)`);
      }
    }
    durableTransaction(this.storage.db, () => {
      this.storage.db.prepare('DELETE FROM tool_allow WHERE account_id = ?').run(accountId);
      const insert = this.storage.db.prepare('INSERT INTO tool_allow (account_id, entry, created_by, created_at) VALUES (?, ?, ?, ?)');
      for (const entry of unique) insert.run(accountId, entry, principal.userId, this.clock.now());
      this.audit.append({ action: 'tools.allow.set', outcome: 'success', actor: actorOf(principal), accountId, resource: `account:${accountId}`, requestId, details: { entries: unique } });
    });
    return { accountId, entries: unique };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const sources = [...this.sources.values()];
    this.sources.clear();
    await Promise.allSettled(sources.map(({ source }) => source.dispose()));
  }

  /**
   * The tool if the account may use it. An allowed MCP tool whose server has not listed its tools
   * yet (not connected) is returned as a stand-in that connects on call and then validates input
   * and result with the real tool's schemas; meanwhile the server connects in the background.
   */
  private get(name: string, accountId: string): Tool | undefined {
    const found = this.current().get(name, accountId);
    if (found !== undefined) return found;
    const dot = name.indexOf('.');
    if (dot < 0) return undefined;
    const entry = this.sources.get(name.slice(0, dot));
    if (entry === undefined || entry.source.state === 'connected' || !toolAllowed(this.entries(accountId), name)) return undefined;
    const source = entry.source;
    source.connect().catch(() => undefined); // logged by the source; the call below reports it
    return standIn(source, name);
  }

  /** A registry over the built-ins and the configured servers, with the allow-list read per lookup. */
  private current(): ToolRegistry {
    this.sync();
    return createToolRegistry({
      builtins: this.builtins,
      mcpSources: [...this.sources.values()].map(({ source }) => source),
      allowList: (accountId) => new Set([...this.builtinNames, ...this.entries(accountId)]),
    });
  }

  /** Matches the sources to the configured servers: new ones are created (not connected), removed or changed ones disposed. */
  private sync(): void {
    if (this.disposed) return;
    const rows = this.rows();
    const names = new Set(rows.map((row) => row.name));
    for (const name of [...this.sources.keys()]) if (!names.has(name)) void this.forget(name);
    for (const row of rows) {
      const fingerprint = JSON.stringify(row);
      const cached = this.sources.get(row.name);
      if (cached?.fingerprint === fingerprint) continue;
      if (cached !== undefined) void cached.source.dispose().catch(() => undefined);
      try {
        this.sources.set(row.name, { fingerprint, source: new McpToolSource({ ...this.mcpOptions, server: this.serverConfig(row), logger: this.logger, now: () => this.clock.now() }) });
      } catch {
        this.sources.delete(row.name);
        this.logger.warn({ server: row.name }, 'MCP server configuration is not usable; skipped');
      }
    }
  }

  private serverConfig(row: ServerRow): McpServerConfig {
    if (row.transport === 'http') {
      const secretName = mcpTokenSecretName(this.storage.installationId, row.name);
      return { name: row.name, transport: 'http', url: row.url ?? '', ...(row.has_token === 1 ? { getBearerToken: () => this.secrets.get(secretName) } : {}) };
    }
    return { name: row.name, transport: 'stdio', command: row.command ?? '', args: JSON.parse(row.args) as string[], inheritEnv: JSON.parse(row.inherit_env) as string[] };
  }

  private statusOf(name: string): McpServerStatus {
    return this.sources.get(name)?.source.status() ?? notUsableStatus();
  }

  private async forget(name: string): Promise<void> {
    const cached = this.sources.get(name);
    this.sources.delete(name);
    await cached?.source.dispose().catch(() => undefined);
  }

  private rows(): ServerRow[] {
    return this.storage.db.prepare<[], ServerRow>('SELECT name, transport, command, args, inherit_env, url, has_token, created_at FROM mcp_servers ORDER BY name').all();
  }

  private row(name: string): ServerRow | undefined {
    return this.storage.db.prepare<[string], ServerRow>('SELECT name, transport, command, args, inherit_env, url, has_token, created_at FROM mcp_servers WHERE name = ?').get(name);
  }

  private entries(accountId: string): ReadonlySet<string> {
    return new Set(this.storage.db.prepare<[string], string>('SELECT entry FROM tool_allow WHERE account_id = ?').pluck().all(accountId));
  }

  private checkAccount(accountId: string): void {
    const account = this.storage.accounts.byId(accountId);
    if (account === undefined || account === null || account.deletedAt !== null) throw new CoreError('ERR_NOT_FOUND', 'There is no such account.', { details: { accountId } });
  }
}

function serverAllowed(entries: ReadonlySet<string>, server: string): boolean {
  return [...entries].some((entry) => entry.startsWith(`${server}.`));
}

function toolAllowed(entries: ReadonlySet<string>, name: string): boolean {
  return entries.has(name) || entries.has(`${name.slice(0, name.indexOf('.'))}.*`);
}

function viewOf(tool: Tool): ToolView {
  const dot = tool.name.indexOf('.');
  return { name: tool.name, description: tool.description, source: dot < 0 ? 'builtin' : tool.name.slice(0, dot), sideEffects: tool.sideEffects };
}

function serverView(row: ServerRow): Omit<McpServerView, 'status'> {
  return {
    name: row.name,
    transport: row.transport,
    command: row.command,
    args: JSON.parse(row.args) as string[],
    inheritEnv: JSON.parse(row.inherit_env) as string[],
    url: row.url,
    hasToken: row.has_token === 1,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** An allowed tool of a server that is not connected yet: connects on call, then checks with the real tool's schemas. */
function standIn(source: McpToolSource, name: string): Tool {
  return {
    name,
    description: '',
    input: z.unknown(),
    output: z.unknown(),
    sideEffects: true,
    async call(args, context) {
      await source.connect();
      const tool = source.tools().find((candidate) => candidate.name === name);
      if (tool === undefined) throw toolError('ERR_TOOL_NOT_FOUND', `MCP server ${source.name} has no tool ${name}.`, { tool: name, reason: 'not_found', outcome: 'not_applied' });
      const parsed = tool.input.safeParse(args);
      if (!parsed.success) throw invalidInput(name, parsed.error);
      const result = tool.output.safeParse(await tool.call(parsed.data, context));
      if (!result.success) throw toolError('ERR_TOOL_FAILED', `Tool ${name} returned an invalid result.`, { tool: name, reason: 'invalid_result', outcome: 'failed' });
      return result.data;
    },
  };
}

type ToolMethod = keyof typeof toolMethods;

/** The tools.* API over the configuration; the router has authorized the permission and the account already. */
export function toolHandlers(config: ToolConfig): Pick<MethodHandlers, ToolMethod> {
  return {
    'tools.list': (_input, { principal }: HandlerContext) => config.listTools(principal),
    'tools.servers': (input, { principal }) => config.accountServers(principal, input.test),
    'tools.mcp.list': () => config.listServers(),
    'tools.mcp.test': (input) => config.testServer(input.name),
    'tools.mcp.add': (input, { principal, requestId }) => config.addServer(principal, input, requestId),
    'tools.mcp.remove': (input, { principal, requestId }) => config.removeServer(principal, input.name, requestId),
    'tools.allow.get': (input) => config.getAllowList(input.accountId),
    'tools.allow.set': (input, { principal, requestId }) => config.setAllowList(principal, input.accountId, input.entries, requestId),
  };
}
