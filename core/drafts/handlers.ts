import type { MethodHandlers } from '../api/index.ts';
import type { DraftService } from './service.ts';

type DraftMethod = 'drafts.workflows' | 'drafts.list' | 'drafts.create' | 'drafts.get' | 'drafts.accept' | 'drafts.reject' | 'drafts.edit' | 'drafts.autosave' | 'drafts.regenerate' | 'drafts.comment' | 'drafts.submit' | 'drafts.approve' | 'drafts.export';

/** The drafting area's API: thin adapters onto the service. */
export function draftHandlers(service: DraftService): Pick<MethodHandlers, DraftMethod> {
  return {
    'drafts.workflows': (_input, { principal }) => service.drafting(principal),
    'drafts.list': (input, { principal }) => service.list(principal, { limit: input.limit, ...(input.status ? { status: input.status } : {}) }),
    'drafts.create': (input, { principal, requestId }) => service.create(principal, { workflowId: input.workflowId, input: input.input, ...(input.modelId ? { modelId: input.modelId } : {}) }, requestId),
    'drafts.get': (input, { principal }) => service.get(principal, input.draftId),
    'drafts.accept': (input, { principal, requestId }) => service.accept(principal, input.draftId, input.path, requestId),
    'drafts.reject': (input, { principal, requestId }) => service.reject(principal, input.draftId, input.path, input.comment, requestId),
    'drafts.edit': (input, { principal, requestId }) => service.edit(principal, input.draftId, input.path, input.markdown, input.baseRevision, requestId),
    'drafts.autosave': (input, { principal }) => service.autosave(principal, input.draftId, input.path, input.markdown),
    'drafts.regenerate': (input, { principal, requestId }) => service.regenerate(principal, input.draftId, input.path, input.instruction, requestId),
    'drafts.comment': (input, { principal }) => service.comment(principal, input.draftId, input.path, input.body),
    'drafts.submit': (input, { principal, requestId }) => service.submit(principal, input.draftId, input.status, requestId),
    'drafts.approve': (input, { principal, requestId }) => service.approve(principal, input.draftId, input.comment, requestId),
    'drafts.export': (input, { principal, requestId }) => service.export(principal, input.draftId, input.format, requestId),
  };
}
