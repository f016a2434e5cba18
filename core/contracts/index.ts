// core/contracts is browser-safe: zod schemas and types only, imported by core, electron and the
// renderer alike. Nothing here may touch Node, the DOM or Electron.
export { apiEvents, apiMethods, eventNames, isEventName, isMethodName, methodNames } from './api.ts';
export type {
  ApiEvents,
  ApiMethods,
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
  StrongroomBridge,
  StrongroomDesktop,
} from './api.ts';
export { defineEvent, defineMethod } from './define.ts';
export type { EventContract, MethodContract, MethodPermission } from './define.ts';
export {
  ApiErrorSchema,
  ApiResultSchema,
  ErrorCodeSchema,
  errorCodes,
  errorRetry,
  formatIssuePath,
  InputIssueSchema,
  retryMayHelp,
  toInputIssues,
} from './errors.ts';
export type { ApiError, ApiResult, ErrorCode, InputIssue } from './errors.ts';
export { PermissionSchema, permissions } from './permissions.ts';
export type { Permission } from './permissions.ts';
export { RunModeSchema, SystemHealthSchema, SystemInfoSchema } from './system.ts';
export type { RunMode, SystemHealth, SystemInfo } from './system.ts';
export {
  AccountIdSchema,
  AccountNameSchema,
  AuthStatusSchema,
  BoundarySchema,
  GroupMappingSchema,
  IdpConfigSchema,
  identityEvents,
  identityMethods,
  MemberSchema,
  SessionEndReasonSchema,
  SigningAlgorithmSchema,
} from './identity.ts';
export type { AuthStatus, IdpConfig } from './identity.ts';
export { installationPermissions, roleDescriptions, rolePermissions, roles, RoleSchema } from './roles.ts';
export type { Role } from './roles.ts';
export {
  ArgumentSchema,
  ConditionSchema,
  JsonSchemaSchema,
  ReferenceSchema,
  StepIdSchema,
  StepSchema,
  TemplateSchema,
  WorkflowDefinitionSchema,
  WorkflowIdSchema,
} from './workflowDefinition.ts';
export type { AgentStep, BranchStep, Condition, GuardrailStep, HumanStep, LlmStep, MapStep, RetrieveStep, Step, StepKind, ToolStep, WorkflowDefinition, WorkflowStep } from './workflowDefinition.ts';
export { AuditEntrySchema, AuditFilterSchema, auditMethods, AuditRetentionSchema, AuditVerificationSchema } from './audit.ts';
export type { AuditEntryView, AuditFilterInput, AuditVerification } from './audit.ts';
export { ApprovalPolicySchema, RunDetailSchema, RunIdSchema, RunStatusSchema, RunStepSchema, RunSummarySchema, workflowEvents, workflowMethods, WorkflowSummarySchema } from './workflows.ts';
export type { ApprovalPolicyView } from './workflows.ts';
export {
  AddModelInputSchema,
  DataClassificationSchema,
  dataClassifications,
  LocalModelManifestSchema,
  localModelDefaults,
  ModelHealthSchema,
  ModelIdSchema,
  ModelManifestSchema,
  modelEvents,
  modelMethods,
  ModelTestResultSchema,
  ModelViewSchema,
  RemoteModelManifestSchema,
} from './models.ts';
export type { AddModelInput, DataClassification, ModelManifest, ModelView } from './models.ts';
export { AddMcpServerInputSchema, McpServerNameSchema, McpServerViewSchema, ToolAllowEntrySchema, ToolAllowListSchema, toolMethods, ToolViewSchema } from './tools.ts';
export type { AddMcpServerInput, McpServerView, ToolView } from './tools.ts';
export {
  AttributeValueSchema,
  exportTraces,
  FeedbackActionSchema,
  feedbackActions,
  FeedbackInputSchema,
  FeedbackSchema,
  keptReasons,
  OtlpPushConfigSchema,
  OtlpPushSettingsSchema,
  OtlpPushStatusSchema,
  pushFailureReasons,
  PushCaFileSchema,
  PushTokenHeaderSchema,
  PushTokenSchema,
  SpanDetailSchema,
  SpanIdSchema,
  SpanKindSchema,
  spanKinds,
  SpanSchema,
  SpanStatusSchema,
  traceExportPartDefault,
  TraceExportInputSchema,
  TraceExportSchema,
  TraceFilterSchema,
  TraceIdSchema,
  TracePurgeSchema,
  TraceRetentionSchema,
  TraceStatsSchema,
  TraceStatusSchema,
  TraceSummarySchema,
  tracingEvents,
  tracingMethods,
} from './tracing.ts';
export type { AttributeValue, Feedback, FeedbackInput, OtlpPushConfig, OtlpPushSettings, OtlpPushStatus, Span, SpanDetail, SpanKind, TraceExport, TraceExportInput, TraceFilter, TracePurge, TraceRetention, TraceSummary } from './tracing.ts';
export {
  DraftCommentSchema,
  DraftDetailSchema,
  draftEvents,
  DraftExportFormatSchema,
  DraftIdSchema,
  DraftingWorkflowSchema,
  draftMethods,
  DraftSectionSchema,
  DraftSourceSchema,
  DraftStatusSchema,
  DraftSummarySchema,
  draftReadiness,
  exportFormats,
  runStoppedWriting,
  SectionPathSchema,
  SectionStatusSchema,
} from './drafts.ts';
export type { DraftComment, DraftDetail, DraftSection, DraftSource, DraftStatus, DraftSummary, SectionStatus } from './drafts.ts';
