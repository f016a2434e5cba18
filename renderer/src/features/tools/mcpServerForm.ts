import type { AddMcpServerInput, ApiError, InputIssue } from '../../../../core/contracts/index.ts';

export type McpTransport = 'stdio' | 'http';

/** What the "Add an MCP server" form holds: both transports' fields, so switching loses nothing typed. */
export interface McpServerFormValues {
  name: string;
  transport: McpTransport;
  command: string;
  /** One argument per line. */
  args: string;
  /** Environment variable names, separated by commas or new lines. */
  inheritEnv: string;
  url: string;
  token: string;
}

export const emptyMcpServerForm: McpServerFormValues = { name: '', transport: 'stdio', command: '', args: '', inheritEnv: '', url: '', token: '' };

/** One argument per line, exactly as typed (an argument may need its spaces); blank lines are skipped. */
export function splitArguments(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** Environment variable names separated by commas, spaces or new lines; each once, in the order typed. */
export function splitEnvNames(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).filter((name) => name !== ''))];
}

/**
 * The `tools.mcp.add` input the form describes. Only the chosen transport's fields are sent;
 * names, commands and URLs lose stray surrounding spaces (a token too: HTTP trims header values
 * anyway). The API checks everything else and names the field.
 */
export function mcpServerInput(values: McpServerFormValues): AddMcpServerInput {
  const name = values.name.trim();
  if (values.transport === 'stdio') {
    return { name, transport: 'stdio', command: values.command.trim(), args: splitArguments(values.args), inheritEnv: splitEnvNames(values.inheritEnv) };
  }
  const token = values.token.trim();
  return { name, transport: 'http', url: values.url.trim(), ...(token === '' ? {} : { token }) };
}

const shown = (item: string): string => (item.length > 60 ? `${item.slice(0, 59)}…` : item);

/**
 * The API names a list item by its index (`inheritEnv[1]`) and never echoes what was sent, so
 * this puts the item back in the message (“CRM-KEY”: …) from the lists that were sent. Other
 * issues, and errors without issues, are left as they are.
 */
export function withListItemsNamed(error: ApiError | null, lists: Readonly<Record<string, readonly string[]>>): ApiError | null {
  const issues = error?.details?.issues;
  if (error === null || !Array.isArray(issues)) return error;
  const named = (issues as InputIssue[]).map((issue) => {
    const match = /^([A-Za-z]+)\[(\d+)\]$/.exec(issue.path);
    const item = match ? lists[match[1]!]?.[Number(match[2])] : undefined;
    return item === undefined ? issue : { ...issue, message: `“${shown(item)}”: ${issue.message}` };
  });
  return { ...error, details: { ...error.details, issues: named } };
}
