import type { Tool, ToolRegistry } from '../tools.ts';

/** A set of tools that can change at run time (an MCP server); each is named `<source>.<tool>`. */
export interface ToolSource {
  readonly name: string;
  /** The tools known now (the last list received while connected). */
  tools(): readonly Tool[];
}

/**
 * The tool names an account may use: exact names (`calculator`, `sanctions.screen`) or a whole
 * source (`sanctions.*`); `'all'` for every tool.
 */
export type ToolAllowList = ReadonlySet<string> | 'all';

export interface ToolRegistryOptions {
  builtins: readonly Tool[];
  mcpSources?: readonly ToolSource[];
  /** Called on every lookup, so a changed allow-list applies at once. */
  allowList: (accountId: string) => ToolAllowList;
}

const builtinName = /^[a-z][a-z0-9_]{0,63}$/;
/** Source names never contain a dot, so the first dot of a tool name splits source from tool. */
export const toolSourceName = /^[a-z][a-z0-9_-]{0,63}$/;

function allows(allowList: ToolAllowList, toolName: string): boolean {
  if (allowList === 'all') return true;
  if (allowList.has(toolName)) return true;
  const dot = toolName.indexOf('.');
  return dot > 0 && allowList.has(`${toolName.slice(0, dot)}.*`);
}

/**
 * Built-in tools and MCP sources behind a per-account allow-list: a tool the account may not
 * use is invisible — `get` returns undefined and `list` leaves it out.
 */
export function createToolRegistry(options: ToolRegistryOptions): ToolRegistry {
  const builtins = new Map<string, Tool>();
  for (const tool of options.builtins) {
    if (!builtinName.test(tool.name)) throw new RangeError(`Built-in tool name ${JSON.stringify(tool.name)} must match ${String(builtinName)}`);
    if (builtins.has(tool.name)) throw new RangeError(`Two built-in tools are named ${tool.name}`);
    builtins.set(tool.name, tool);
  }
  const sources = new Map<string, ToolSource>();
  for (const source of options.mcpSources ?? []) {
    if (!toolSourceName.test(source.name)) throw new RangeError(`Tool source name ${JSON.stringify(source.name)} must match ${String(toolSourceName)}`);
    if (sources.has(source.name)) throw new RangeError(`Two tool sources are named ${source.name}`);
    sources.set(source.name, source);
  }

  function find(name: string): Tool | undefined {
    const dot = name.indexOf('.');
    if (dot < 0) return builtins.get(name);
    return sources.get(name.slice(0, dot))?.tools().find((tool) => tool.name === name);
  }

  return {
    get(name, accountId) {
      return allows(options.allowList(accountId), name) ? find(name) : undefined;
    },
    list(accountId) {
      const allowList = options.allowList(accountId);
      const all = [...builtins.values(), ...[...sources.values()].flatMap((source) => source.tools())];
      return all.filter((tool) => allows(allowList, tool.name));
    },
  };
}
