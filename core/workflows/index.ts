// core/workflows: business logic as data — definitions (validated, versioned by content hash),
// the durable engine with its middleware chain, tools, the catalog and the API.
export { ApprovalPolicies } from './approvalPolicy.ts';
export type { ApprovalPolicy } from './approvalPolicy.ts';
export { shippedWorkflowsDir, WorkflowCatalog } from './catalog.ts';
export type { CatalogEntry } from './catalog.ts';
export { Suspended, WorkflowEngine } from './engine.ts';
export type { EngineDependencies, StartOptions } from './engine.ts';
export { workflowHandlers } from './handlers.ts';
export { auditToolCalls, BudgetTally, budgets, cacheSeam, compose, guardrailSeam, isRetriable, timeoutsAndRetries } from './middleware.ts';
export type { EngineSpan, GuardrailPolicies, RunBudget, RunPassOutcome, RunTracer, StepCache, StepContext, StepMiddleware, StepOutcome, ToolCallRecord } from './middleware.ts';
export { lexicalRetriever } from './retrieve.ts';
export type { RetrievedPassage, Retriever, SourceDocument } from './retrieve.ts';
export { renderTemplate, resolveReference } from './scope.ts';
export type { DataScope } from './scope.ts';
export { WorkflowService } from './service.ts';
export { RunStore } from './store.ts';
export type { RunRecord, RunStatus, StepRecord } from './store.ts';
export type { Tool, ToolContext, ToolRegistry } from './tools.ts';
export { canonicalJson, parseDefinitionText, validateDefinition, versionOf } from './validate.ts';
export type { CompiledWorkflow } from './validate.ts';
