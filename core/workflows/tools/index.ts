// core/workflows/tools: the tools workflow steps call — built-ins, MCP servers as tool sources,
// the per-account allow-list, and the idempotency ledger for tools with side effects.
export { createCalculatorTool, CalculatorInputSchema, CalculatorOutputSchema } from './calculator.ts';
export type { CalculatorInput, CalculatorOutput } from './calculator.ts';
export { createCounterTool, readCounter } from './counterTool.ts';
export { mcpTokenSecretName, ToolConfig, toolHandlers } from './config.ts';
export type { ToolConfigOptions } from './config.ts';
export type { CounterInput, CounterOutput } from './counterTool.ts';
export { createCustomerLookupTool, CustomerLookupInputSchema, CustomerLookupOutputSchema, CustomerSchema, defaultCustomerTableFile } from './customerLookup.ts';
export type { Customer, CustomerLookupInput, CustomerLookupOptions, CustomerLookupOutput } from './customerLookup.ts';
export { createDateMathTool, DateMathInputSchema, DateMathOutputSchema } from './dateMath.ts';
export type { DateMathInput, DateMathOutput } from './dateMath.ts';
export { McpToolResultSchema } from './mcpSchemas.ts';
export type { McpToolResult } from './mcpSchemas.ts';
export { McpToolSource } from './McpToolSource.ts';
export type { McpSourceState, McpToolSourceOptions } from './McpToolSource.ts';
export type { McpHttpServerConfig, McpServerConfig, McpStdioServerConfig } from './mcpTransport.ts';
export { createToolRegistry } from './registry.ts';
export type { ToolAllowList, ToolRegistryOptions, ToolSource } from './registry.ts';
export { SqliteToolCallLedger } from './ToolCallLedger.ts';
export type { SqliteToolCallLedgerOptions, ToolCallEntry, ToolCallLedger, ToolCallRef, ToolResultCodec } from './ToolCallLedger.ts';
export type { ToolCallOutcome } from './toolErrors.ts';
export type { Tool, ToolContext, ToolRegistry } from '../tools.ts';
