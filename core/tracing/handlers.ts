import type { MethodHandlers } from '../api/index.ts';
import type { TracingService } from './service.ts';

type TracingMethod = 'traces.list' | 'traces.get' | 'traces.span' | 'traces.flag' | 'traces.stats' | 'traces.export' | 'traces.purge' | 'traces.retention.get' | 'traces.retention.set' | 'traces.pushConfig' | 'traces.setPushConfig' | 'feedback.submit' | 'feedback.revise' | 'feedback.list' | 'feedback.history';

/** The tracing area's API: thin adapters onto the service. */
export function tracingHandlers(service: TracingService): Pick<MethodHandlers, TracingMethod> {
  return {
    'traces.list': (input, { principal }) => service.list(principal, input),
    'traces.get': (input, { principal }) => service.get(principal, input.traceId),
    'traces.span': (input, { principal }) => service.span(principal, input.traceId, input.spanId),
    'traces.flag': (input, { principal, requestId }) => service.flag(principal, input.traceId, input.flagged, requestId),
    'traces.stats': (input, { principal }) => service.stats(principal, input),
    'traces.export': (input, { principal, requestId }) => service.export(principal, input, requestId),
    'traces.purge': (input, { principal, requestId }) => service.purge(principal, input, requestId),
    'traces.retention.get': (_input, { principal }) => service.retention(principal),
    'traces.retention.set': (input, { principal, requestId }) => service.setRetention(principal, input.retentionDays, requestId),
    'traces.pushConfig': () => service.pushConfig(),
    'traces.setPushConfig': (input, { principal, requestId }) => service.setPushConfig(principal, input, requestId),
    'feedback.submit': (input, { principal, requestId }) => service.submitFeedback(principal, input.traceId, input.spanId, input.feedback, requestId),
    'feedback.revise': (input, { principal, requestId }) => service.reviseFeedback(principal, input.feedbackId, input.feedback, requestId),
    'feedback.list': (input, { principal }) => service.listFeedback(principal, input.traceId, input.spanId),
    'feedback.history': (input, { principal }) => service.feedbackHistory(principal, input.feedbackId),
  };
}
