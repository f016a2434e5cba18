import type { MethodHandlers } from '../api/index.ts';
import type { WorkflowService } from './service.ts';

type WorkflowMethod = 'workflows.list' | 'workflows.get' | 'workflows.validate' | 'workflows.import' | 'runs.start' | 'runs.list' | 'runs.get' | 'runs.answer' | 'runs.autosaveAnswer' | 'runs.cancel' | 'runs.resume' | 'runs.replay' | 'workflows.approvalPolicy.get' | 'workflows.approvalPolicy.set';

/** The workflows area's API: thin adapters onto the service. */
export function workflowHandlers(service: WorkflowService): Pick<MethodHandlers, WorkflowMethod> {
  return {
    'workflows.list': (_input, { principal }) => service.list(principal),
    'workflows.get': (input, { principal }) => service.get(principal, input.workflowId, input.version),
    'workflows.validate': (input, { principal }) => service.validate(principal, input.text),
    'workflows.import': (input, { principal, requestId }) => service.import(principal, input.text, requestId),
    'runs.start': (input, { principal, requestId }) => service.start(principal, input.workflowId, input.input, input.modelId, requestId),
    'runs.list': (input, { principal }) => service.listRuns(principal, { limit: input.limit, ...(input.status ? { status: input.status } : {}) }),
    'runs.get': (input, { principal }) => service.getRun(principal, input.runId),
    'runs.answer': (input, { principal, requestId }) => service.answer(principal, input.runId, input.path, input.answer, requestId),
    'runs.autosaveAnswer': (input, { principal }) => service.autosaveAnswer(principal, input.runId, input.path, input.answer),
    'runs.cancel': (input, { principal, requestId }) => service.cancel(principal, input.runId, requestId),
    'runs.resume': (input, { principal, requestId }) => service.resume(principal, input.runId, requestId),
    'runs.replay': (input, { principal, requestId }) => service.replay(principal, input.runId, input.against, requestId),
    'workflows.approvalPolicy.get': (input) => service.approvalPolicy(input.accountId),
    'workflows.approvalPolicy.set': (input, { principal, requestId }) => service.setApprovalPolicy(principal, input.accountId, input.fourEyes, requestId),
  };
}
