import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode as McpErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { buildInfo, isCoreError } from '../../base/index.ts';
import type { Disposable, Logger } from '../../base/index.ts';
import type { Tool, ToolContext } from '../tools.ts';
import { createMcpTransport, parseMcpServerUrl } from './mcpTransport.ts';
import type { McpServerConfig } from './mcpTransport.ts';
import { maxDescriptionChars, mcpToolName, resultSchemaFor, zodFromJsonSchema } from './mcpSchemas.ts';
import type { McpToolResult } from './mcpSchemas.ts';
import { classifyMcpFailure, mcpFailureMessage } from './mcpStatus.ts';
import type { McpFailure, McpServerStatus } from './mcpStatus.ts';
import { toolSourceName } from './registry.ts';
import type { ToolSource } from './registry.ts';
import type { ToolCallLedger } from './ToolCallLedger.ts';
import { parseToolInput, toolError } from './toolErrors.ts';

export interface McpToolSourceOptions {
  server: McpServerConfig;
  /** Per call; ERR_TOOL_TIMEOUT after it. Default 30 s. */
  callTimeoutMs?: number;
  /** For starting the server and the initialize handshake, and for listing tools. Default 10 s. */
  connectTimeoutMs?: number;
  /** Background reconnect backoff after a lost connection: doubles from initial to max. */
  reconnect?: { initialDelayMs: number; maxDelayMs: number };
  /** Side-effecting tools (not `readOnlyHint`) go through it: at most once per idempotency key. */
  ledger?: ToolCallLedger;
  logger?: Logger;
  /** For the status's `checkedAt` (epoch ms). Default Date.now. */
  now?: () => number;
}

export type McpSourceState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'disposed';

const maxTools = 500;
const maxListPages = 50;

/** A log-safe word for why something failed: a reason or code, never a message. */
function errorReason(error: unknown): string {
  if (isCoreError(error)) return typeof error.details?.reason === 'string' ? error.details.reason : error.code;
  return error instanceof Error ? error.name : 'unknown';
}

/** True when a fetch failed before the request left (connection refused): nothing was sent. */
function neverSent(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth += 1) {
    if ((cause as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/**
 * One MCP server as a tool source, through the official SDK: connects over stdio or streamable
 * HTTP, lists the server's tools and offers each as `<server>.<tool>`, with its input schema
 * converted from JSON Schema. A lost connection fails its calls with a typed error and is
 * re-established in the background and on the next call; the last tool list stays visible
 * meanwhile.
 */
export class McpToolSource implements ToolSource, Disposable {
  readonly name: string;
  private readonly server: McpServerConfig;
  private readonly callTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnect: { initialDelayMs: number; maxDelayMs: number };
  private readonly ledger: ToolCallLedger | undefined;
  private readonly logger: Logger | undefined;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private listed: Tool[] = [];
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private currentState: McpSourceState = 'idle';
  private disposed = false;
  /** Why the last attempt failed (or the connection was lost); undefined once connected. */
  private lastFailure: McpFailure | undefined;
  private checkedAt: number | undefined;
  /**
   * Something uses the server (a call, a tool listing): a failed or lost connection is then
   * retried in the background. A probe alone (a connection test) does not keep retrying.
   */
  private wanted = false;
  private readonly now: () => number;

  constructor(options: McpToolSourceOptions) {
    if (!toolSourceName.test(options.server.name)) throw new RangeError(`MCP server name ${JSON.stringify(options.server.name)} must match ${String(toolSourceName)}`);
    if (options.server.transport === 'http') parseMcpServerUrl(options.server);
    this.name = options.server.name;
    this.server = options.server;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.reconnect = options.reconnect ?? { initialDelayMs: 500, maxDelayMs: 30_000 };
    this.ledger = options.ledger;
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  get state(): McpSourceState {
    return this.currentState;
  }

  tools(): readonly Tool[] {
    return this.listed;
  }

  /** Connects and lists the tools; throws ERR_TOOL_FAILED (reason `unavailable`) and keeps retrying in the background. */
  async connect(): Promise<void> {
    this.wanted = true;
    await this.ensureClient();
  }

  /**
   * Tries the server now and says how it went: connects it, or, connected, asks it for its tools
   * again (a connection that no longer answers is dropped and opened afresh). Never throws; a
   * failure is in the status. A server tried only this way is not retried in the background.
   */
  async probe(): Promise<McpServerStatus> {
    if (this.disposed) return this.status();
    const client = this.client;
    if (client !== undefined) {
      try {
        await this.listTools(client);
        this.checkedAt = this.now();
        return this.status();
      } catch (cause) {
        this.lost(client, classifyMcpFailure(cause));
      }
    }
    await this.ensureClient().catch(() => undefined); // open() records the failure
    return this.status();
  }

  /** Whether the server is usable, for the Tools page and `tools list`: never the error's text. */
  status(): McpServerStatus {
    const checkedAt = this.checkedAt === undefined ? null : new Date(this.checkedAt).toISOString();
    if (this.currentState === 'connected') return { state: 'connected', tools: this.listed.length, reason: null, httpStatus: null, message: null, checkedAt };
    if (this.currentState === 'connecting') return { state: 'connecting', tools: null, reason: this.lastFailure?.reason ?? null, httpStatus: this.lastFailure?.httpStatus ?? null, message: this.lastFailure === undefined ? null : mcpFailureMessage(this.lastFailure), checkedAt };
    if (this.currentState === 'idle') return { state: 'not_tried', tools: null, reason: null, httpStatus: null, message: null, checkedAt: null };
    const failure = this.lastFailure ?? { reason: this.currentState === 'disposed' ? 'not_usable' : 'unknown', httpStatus: null };
    return { state: 'failed', tools: null, reason: failure.reason, httpStatus: failure.httpStatus, message: mcpFailureMessage(failure), checkedAt };
  }

  /** Lists the tools again (the server also says when they change). */
  async refresh(): Promise<void> {
    this.wanted = true;
    await this.listTools(await this.ensureClient());
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.currentState = 'disposed';
    clearTimeout(this.reconnectTimer);
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    this.listed = [];
    await client?.close();
  }

  private ensureClient(): Promise<Client> {
    if (this.disposed) {
      return Promise.reject(toolError('ERR_TOOL_FAILED', `MCP server ${this.name} is shut down.`, { tool: this.name, reason: 'disposed', outcome: 'not_applied' }));
    }
    if (this.client !== undefined) return Promise.resolve(this.client);
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<Client> {
    this.currentState = 'connecting';
    const client = new Client({ name: 'strongroom', version: buildInfo().version });
    try {
      await client.connect(createMcpTransport(this.server), { timeout: this.connectTimeoutMs });
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        this.listTools(client).catch((error: unknown) => this.logger?.warn({ server: this.name, reason: errorReason(error) }, 'MCP tool list refresh failed'));
      });
      await this.listTools(client);
    } catch (cause) {
      await client.close().catch(() => undefined);
      if (this.disposed) throw toolError('ERR_TOOL_FAILED', `MCP server ${this.name} is shut down.`, { tool: this.name, reason: 'disposed', outcome: 'not_applied' });
      this.currentState = 'disconnected';
      this.failures += 1;
      this.lastFailure = classifyMcpFailure(cause);
      this.checkedAt = this.now();
      if (this.wanted) this.scheduleReconnect();
      this.logger?.warn({ server: this.name, reason: this.lastFailure.reason, ...(this.lastFailure.httpStatus === null ? {} : { httpStatus: this.lastFailure.httpStatus }) }, 'MCP server unavailable');
      throw toolError('ERR_TOOL_FAILED', `MCP server ${this.name} is unavailable: ${mcpFailureMessage(this.lastFailure)}`, { tool: this.name, reason: 'unavailable', outcome: 'not_applied', failure: this.lastFailure.reason }, cause);
    }
    if (this.disposed) {
      await client.close();
      throw toolError('ERR_TOOL_FAILED', `MCP server ${this.name} is shut down.`, { tool: this.name, reason: 'disposed', outcome: 'not_applied' });
    }
    // From here on a close means a lost connection; a close before this point failed open() instead.
    client.onclose = () => this.lost(client);
    this.client = client;
    this.failures = 0;
    this.lastFailure = undefined;
    this.checkedAt = this.now();
    this.currentState = 'connected';
    return client;
  }

  /** The connection ended (server exited, transport failed): drop it and reconnect later. */
  private lost(client: Client, failure: McpFailure = { reason: 'connection_lost', httpStatus: null }): void {
    if (this.client !== client) return;
    this.client = undefined;
    if (this.disposed) return;
    this.currentState = 'disconnected';
    this.lastFailure = failure;
    this.checkedAt = this.now();
    this.logger?.warn({ server: this.name, reason: failure.reason }, 'MCP server connection lost');
    void client.close().catch(() => undefined);
    if (this.wanted) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer !== undefined || this.disposed) return;
    const delay = Math.min(this.reconnect.initialDelayMs * 2 ** Math.max(0, this.failures - 1), this.reconnect.maxDelayMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.ensureClient().catch(() => undefined); // open() logs and schedules the next attempt
    }, delay);
    this.reconnectTimer.unref();
  }

  private async listTools(client: Client): Promise<void> {
    const found: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < maxListPages; page += 1) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.connectTimeoutMs });
      for (const remote of result.tools) {
        const tool = this.toTool(remote);
        if (tool !== undefined && found.length < maxTools) found.push(tool);
      }
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    this.listed = found;
  }

  private toTool(remote: { name: string; description?: string | undefined; inputSchema: unknown; outputSchema?: unknown; annotations?: { readOnlyHint?: boolean | undefined } | undefined }): Tool | undefined {
    const input = mcpToolName.test(remote.name) ? zodFromJsonSchema(remote.inputSchema) : undefined;
    if (input === undefined) {
      this.logger?.warn({ server: this.name, tool: remote.name.slice(0, 128) }, 'MCP tool skipped: its name or input schema is not supported');
      return undefined;
    }
    const name = `${this.name}.${remote.name}`;
    const sideEffects = remote.annotations?.readOnlyHint !== true;
    const tool: Tool<unknown, McpToolResult> = {
      name,
      // Written by the server's authors, shown to models: treat as untrusted text.
      description: (remote.description ?? '').slice(0, maxDescriptionChars),
      input,
      output: resultSchemaFor(remote.outputSchema),
      sideEffects,
      call: async (args, context) => {
        const parsed = parseToolInput(name, input, args);
        const run = (): Promise<McpToolResult> => this.callRemote(remote.name, name, parsed, context);
        if (!sideEffects || this.ledger === undefined) return run();
        const ref = { accountId: context.accountId, idempotencyKey: context.idempotencyKey, tool: name };
        return (await this.ledger.runAtMostOnce(ref, run)).value;
      },
    };
    return tool;
  }

  private async callRemote(remoteName: string, name: string, args: unknown, context: ToolContext): Promise<McpToolResult> {
    if (context.signal.aborted) throw toolError('ERR_TOOL_FAILED', `The call to ${name} was cancelled.`, { tool: name, reason: 'cancelled', outcome: 'not_applied' });
    this.wanted = true;
    let client: Client;
    try {
      client = await this.ensureClient();
    } catch (cause) {
      const reason = isCoreError(cause) && cause.details?.reason === 'disposed' ? 'disposed' : 'unavailable';
      throw toolError('ERR_TOOL_FAILED', `MCP server ${this.name} is unavailable.`, { tool: name, reason, outcome: 'not_applied' }, cause);
    }
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await client.callTool(
        // The key lets a server that supports it deduplicate on its side too.
        { name: remoteName, arguments: args as Record<string, unknown>, _meta: { 'io.strongroom/idempotency-key': context.idempotencyKey } },
        undefined,
        { timeout: this.callTimeoutMs, signal: context.signal },
      );
    } catch (cause) {
      throw this.callError(client, name, cause, context.signal);
    }
    if (result.isError === true) {
      const text = (result.content as { type: string; text?: string }[]).filter((block) => block.type === 'text').map((block) => block.text).join('\n');
      // The server's message may hold content: it stays in `cause`, inside core.
      throw toolError('ERR_TOOL_FAILED', `Tool ${name} reported an error.`, { tool: name, reason: 'tool_error', outcome: 'failed' }, new Error(text.slice(0, 4000)));
    }
    const content = result.content as McpToolResult['content'];
    const structured = result.structuredContent as Record<string, unknown> | null | undefined;
    return structured == null ? { content } : { content, structuredContent: structured };
  }

  private callError(client: Client, name: string, cause: unknown, signal: AbortSignal): Error {
    if (signal.aborted) return toolError('ERR_TOOL_FAILED', `The call to ${name} was cancelled.`, { tool: name, reason: 'cancelled' }, cause);
    if (cause instanceof McpError) {
      if (cause.code === Number(McpErrorCode.RequestTimeout)) {
        return toolError('ERR_TOOL_TIMEOUT', `Tool ${name} did not answer within ${this.callTimeoutMs} ms.`, { tool: name, reason: 'timeout', timeoutMs: this.callTimeoutMs }, cause);
      }
      if (cause.code === Number(McpErrorCode.ConnectionClosed)) {
        return toolError('ERR_TOOL_FAILED', `The connection to MCP server ${this.name} closed during the call.`, { tool: name, reason: 'connection_closed' }, cause);
      }
      return toolError('ERR_TOOL_FAILED', `MCP server ${this.name} refused the call to ${name}.`, { tool: name, reason: 'server_error', mcpCode: cause.code, outcome: 'failed' }, cause);
    }
    if (isCoreError(cause)) return cause;
    // A transport failure (HTTP server down, session gone): start over on the next call.
    this.lost(client);
    const details = neverSent(cause)
      ? { tool: name, reason: 'unavailable', outcome: 'not_applied' as const }
      : { tool: name, reason: 'transport_error' };
    return toolError('ERR_TOOL_FAILED', `MCP server ${this.name} could not be reached.`, details, cause);
  }
}
