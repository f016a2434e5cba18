import { z } from 'zod';
import type { Role } from './roles.ts';
import { RoleSchema } from './roles.ts';

// The workflow definition language: what a bank's builders write (JSON or YAML) and what the
// Workflows page draws. Browser-safe. Semantics (references, cycles, templates) are checked by
// core/workflows/validate.ts, which reports paths like `steps[3].map.over`.

/** A JSON Schema object (draft 2020-12 subset) for typed inputs and outputs. */
export const JsonSchemaSchema = z.record(z.string(), z.unknown());

/**
 * A reference to a value in scope: `inputs.borrower.name`, `steps.analysis.output.ratios`, or
 * inside a map `item.year`. Dotted paths only; no code.
 */
export const ReferenceSchema = z.string().regex(/^(inputs|steps|item|index)(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*$/, 'a reference like inputs.x, steps.id.output.y or item.z');

/** A Liquid template (liquidjs, strict variables, no includes): renders data, runs no code. */
export const TemplateSchema = z.string().max(100_000);

export const StepIdSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase letters, digits and _; starts with a letter');

/** A condition on data, for branches: no expressions, only comparisons of a reference. */
export const ConditionSchema = z.object({
  ref: ReferenceSchema,
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  in: z.array(z.union([z.string(), z.number()])).optional(),
  greaterThan: z.number().optional(),
  lessThan: z.number().optional(),
  exists: z.boolean().optional(),
}).strict();
export type Condition = z.infer<typeof ConditionSchema>;

const stepBase = {
  id: StepIdSchema,
  title: z.string().max(200).optional(),
  /** Milliseconds before the step fails with a timeout (retries apply). */
  timeoutMs: z.number().int().positive().max(24 * 3_600_000).optional(),
  retries: z.number().int().min(0).max(5).optional(),
};

/** A value passed to a tool or sub-workflow: a reference, or a literal. */
export const ArgumentSchema = z.union([z.object({ ref: ReferenceSchema }).strict(), z.object({ value: z.unknown() }).strict(), z.object({ template: TemplateSchema }).strict()]);

export interface LlmStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'llm'; model?: string; system?: string; prompt: string; output?: Record<string, unknown>; temperature?: number; maxTokens?: number }
export interface ToolStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'tool'; tool: string; args: Record<string, z.infer<typeof ArgumentSchema>> }
export interface RetrieveStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'retrieve'; documents: string; query: string; topK?: number }
export interface MapStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'map'; over: string; concurrency?: number; steps: Step[]; output?: string }
export interface BranchStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'branch'; cases: Array<{ when: Condition; steps: Step[] }>; otherwise?: Step[] }
export interface WorkflowStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'workflow'; workflow: string; input: Record<string, z.infer<typeof ArgumentSchema>> }
/**
 * `role`: only someone holding this role in the run's account may answer (e.g. `reviewer` for a
 * credit decision). `fourEyes` (approval steps only): the person who started the run cannot
 * answer — a second person must (maker–checker). `onReject` (approval steps only): `continue`
 * (default) hands the rejection to the steps after it as data (`steps.<id>.output.approved`);
 * `end` ends the run there, failed with ERR_WORKFLOW_REJECTED — a retry asks for the approval again.
 */
export interface HumanStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'human'; prompt: string; action: 'approve' | 'edit' | 'input'; form?: Record<string, unknown>; show?: string; role?: Role; fourEyes?: boolean; onReject?: 'continue' | 'end' }
export interface AgentStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'agent'; model?: string; goal: string; tools: string[]; maxSteps?: number; output: Record<string, unknown> }
export interface GuardrailStep { id: string; title?: string; timeoutMs?: number; retries?: number; kind: 'guardrail'; policy: string; check?: string }
export type Step = LlmStep | ToolStep | RetrieveStep | MapStep | BranchStep | WorkflowStep | HumanStep | AgentStep | GuardrailStep;
export type StepKind = Step['kind'];

export const StepSchema: z.ZodType<Step> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ ...stepBase, kind: z.literal('llm'), model: z.string().optional(), system: TemplateSchema.optional(), prompt: TemplateSchema, output: JsonSchemaSchema.optional(), temperature: z.number().min(0).max(2).optional(), maxTokens: z.number().int().positive().max(32_768).optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('tool'), tool: z.string().min(1).max(128), args: z.record(z.string(), ArgumentSchema).default({}) }).strict(),
    z.object({ ...stepBase, kind: z.literal('retrieve'), documents: ReferenceSchema, query: TemplateSchema, topK: z.number().int().min(1).max(50).optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('map'), over: ReferenceSchema, concurrency: z.number().int().min(1).max(64).optional(), steps: z.array(StepSchema).min(1), output: StepIdSchema.optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('branch'), cases: z.array(z.object({ when: ConditionSchema, steps: z.array(StepSchema).min(1) }).strict()).min(1), otherwise: z.array(StepSchema).optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('workflow'), workflow: z.string().min(1).max(128), input: z.record(z.string(), ArgumentSchema).default({}) }).strict(),
    z.object({ ...stepBase, kind: z.literal('human'), prompt: TemplateSchema, action: z.enum(['approve', 'edit', 'input']), form: JsonSchemaSchema.optional(), show: ReferenceSchema.optional(), role: RoleSchema.optional(), fourEyes: z.boolean().optional(), onReject: z.enum(['continue', 'end']).optional() }).strict(),
    z.object({ ...stepBase, kind: z.literal('agent'), model: z.string().optional(), goal: TemplateSchema, tools: z.array(z.string().min(1)).min(1), maxSteps: z.number().int().min(1).max(50).optional(), output: JsonSchemaSchema }).strict(),
    z.object({ ...stepBase, kind: z.literal('guardrail'), policy: z.string().min(1).max(128), check: ReferenceSchema.optional() }).strict(),
  ]) as z.ZodType<Step>,
);

export const WorkflowIdSchema = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'lowercase letters, digits and -');

export const WorkflowDefinitionSchema = z.object({
  id: WorkflowIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(4000).optional(),
  /** JSON Schema of the run input (an object schema). */
  inputs: JsonSchemaSchema,
  steps: z.array(StepSchema).min(1),
  /** Which step's output is the run's output; default: the last top-level step. */
  output: StepIdSchema.optional(),
  /**
   * Makes this a drafting workflow: the document's title (a template over the inputs) and which
   * top-level steps are its sections, in order. A map or workflow step listed nests: each item's
   * (or the nested workflow's) sections become sub-sections.
   */
  document: z.object({ title: TemplateSchema, sections: z.array(StepIdSchema).min(1).max(100) }).strict().optional(),
  /** Data classification of what flows through it; model manifests declare what they may see. */
  classification: z.enum(['public', 'internal', 'confidential', 'restricted']).default('confidential'),
  /**
   * What one run may spend on models, over all its passes (the run's own definition's budget; a
   * nested workflow's applies when it is run on its own). Exceeded: the next model step fails with
   * ERR_WORKFLOW_BUDGET.
   */
  budget: z.object({ maxModelCalls: z.number().int().positive().max(1_000_000).optional(), maxTokens: z.number().int().positive().max(10_000_000_000).optional() }).strict().optional(),
}).strict();
export type WorkflowDefinition = z.infer<typeof WorkflowDefinitionSchema>;
