import { z } from 'zod';
import { defineMethod } from './define.ts';
import { AccountIdSchema } from './identity.ts';

/** An MCP server's name: its tools are named `<name>.<tool>`. */
export const McpServerNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lower-case letter first, then letters, digits, _ or -; at most 64');

/** An allow-list entry: an exact tool name (`calculator`, `sanctions.screen`) or a whole server (`sanctions.*`). */
export const ToolAllowEntrySchema = z
  .string()
  .regex(/^(?:[a-z][a-z0-9_]{0,63}|[a-z][a-z0-9_-]{0,63}\.(?:\*|[A-Za-z0-9_.-]{1,128}))$/, 'a tool name, or <server>.* for every tool of an MCP server');

/** One tool as `tools.list` shows it. */
export const ToolViewSchema = z.object({
  name: z.string(),
  description: z.string(),
  /** `builtin`, or the MCP server's name. */
  source: z.string(),
  sideEffects: z.boolean(),
});
export type ToolView = z.output<typeof ToolViewSchema>;

/**
 * Why Strongroom could not use an MCP server, as a fixed word: never the server's or the
 * operating system's text (it could carry a URL, a path or a token).
 */
export const McpFailureReasonSchema = z.enum([
  'command_not_found',
  'permission_denied',
  'exited',
  'timeout',
  'unreachable',
  'tls',
  'unauthorized',
  'http_error',
  'protocol',
  'token_unavailable',
  'host_not_allowed',
  'connection_lost',
  'not_usable',
  'unknown',
]);
export type McpFailureReason = z.output<typeof McpFailureReasonSchema>;

/**
 * Whether Strongroom can reach an MCP server: `not_tried` (nothing asked for it since the app
 * started), `connecting`, `connected` (with the number of tools it lists), or `failed` with a
 * reason and a sentence about it that names no secret.
 */
export const McpServerStatusSchema = z.object({
  state: z.enum(['not_tried', 'connecting', 'connected', 'failed']),
  /** Tools the server lists (usable ones), while connected; else null. */
  tools: z.number().int().nullable(),
  reason: McpFailureReasonSchema.nullable(),
  /** The HTTP status it answered with (`unauthorized`, `http_error`); else null. */
  httpStatus: z.number().int().nullable(),
  /** What went wrong, for people: fixed text per reason. */
  message: z.string().nullable(),
  /** When the state was last established (connected or failed); null if never tried. */
  checkedAt: z.string().nullable(),
});
export type McpServerStatus = z.output<typeof McpServerStatusSchema>;

/** An MCP server as configured, with its current status. Never carries its bearer token. */
export const McpServerViewSchema = z.object({
  name: z.string(),
  transport: z.enum(['stdio', 'http']),
  command: z.string().nullable(),
  args: z.array(z.string()),
  /** Names of environment variables the server process may inherit. */
  inheritEnv: z.array(z.string()),
  url: z.string().nullable(),
  hasToken: z.boolean(),
  createdAt: z.string(),
  status: McpServerStatusSchema,
});
export type McpServerView = z.output<typeof McpServerViewSchema>;

const EnvNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');

export const AddMcpServerInputSchema = z.discriminatedUnion('transport', [
  z
    .object({
      name: McpServerNameSchema,
      transport: z.literal('stdio'),
      command: z.string().min(1).max(4096),
      args: z.array(z.string().max(4096)).max(100).default([]),
      inheritEnv: z.array(EnvNameSchema).max(100).default([]),
    })
    .strict(),
  z
    .object({
      name: McpServerNameSchema,
      transport: z.literal('http'),
      url: z.url({ protocol: /^https?$/ }).max(2048),
      /** Stored in the SecretStore (OS keychain); never returned, never in the database. */
      token: z.string().min(1).max(8192).optional(),
    })
    .strict(),
]);
export type AddMcpServerInput = z.input<typeof AddMcpServerInputSchema>;

/** An MCP server the account's allow-list names, as `tools.servers` shows it to the account. */
export const AccountMcpServerSchema = McpServerStatusSchema.extend({
  name: z.string(),
  /** The account's allow-list entries naming it (`sanctions.*`, `sanctions.screen`). */
  entries: z.array(z.string()),
});
export type AccountMcpServer = z.output<typeof AccountMcpServerSchema>;

export const ToolAllowListSchema = z.object({
  accountId: z.string(),
  /** Allowed beyond the built-ins (which every account may use). */
  entries: z.array(z.string()),
});

export const toolMethods = {
  'tools.list': defineMethod({
    summary: 'The tools this account may use in workflows: the built-ins and the MCP tools allowed for it.',
    input: z.object({}).strict(),
    output: z.array(ToolViewSchema),
    permission: 'workflows.read',
  }),
  'tools.servers': defineMethod({
    summary: 'The MCP servers the account’s allow-list names, each connected (with its number of tools) or failed (with a reason); those not connected are tried first, and `test` tries that one afresh.',
    input: z.object({ test: McpServerNameSchema.optional() }).strict(),
    output: z.array(AccountMcpServerSchema),
    permission: 'workflows.read',
  }),
  'tools.mcp.list': defineMethod({
    summary: 'The MCP servers configured on this installation (never their tokens), each with its last known status (no connection is attempted).',
    input: z.object({}).strict(),
    output: z.array(McpServerViewSchema),
    permission: 'installation.manage',
  }),
  'tools.mcp.test': defineMethod({
    summary: 'Try an MCP server now (connect, or list its tools again if connected) and return it with its status.',
    input: z.object({ name: McpServerNameSchema }).strict(),
    output: McpServerViewSchema,
    permission: 'installation.manage',
  }),
  'tools.mcp.add': defineMethod({
    summary: 'Configure an MCP server (a command run over stdio, or an http(s) URL with an optional bearer token), then try it once: a server that cannot be reached is still added, with its status saying why. Its tools stay invisible until allowed per account.',
    input: AddMcpServerInputSchema,
    output: McpServerViewSchema,
    permission: 'installation.manage',
    audit: true,
  }),
  'tools.mcp.remove': defineMethod({
    summary: 'Remove an MCP server, its token and every allow-list entry naming it.',
    input: z.object({ name: McpServerNameSchema }).strict(),
    output: z.object({ removed: z.boolean() }),
    permission: 'installation.manage',
    audit: true,
  }),
  'tools.allow.get': defineMethod({
    summary: 'The tools an account may use beyond the built-ins.',
    input: z.object({ accountId: AccountIdSchema }).strict(),
    output: ToolAllowListSchema,
    permission: 'workflows.manage',
    resource: (input) => ({ accountId: input.accountId }),
  }),
  'tools.allow.set': defineMethod({
    summary: 'Set the tools an account may use beyond the built-ins: exact tool names or <server>.*.',
    input: z.object({ accountId: AccountIdSchema, entries: z.array(ToolAllowEntrySchema).max(1000) }).strict(),
    output: ToolAllowListSchema,
    permission: 'workflows.manage',
    resource: (input) => ({ accountId: input.accountId }),
    audit: true,
  }),
};
