// core/tracing: every run as an OpenTelemetry-shaped trace (GenAI attributes, sealed content),
// the batched recorder, OTLP/JSON export and push, and versioned feedback on spans.
export { editDistance, FeedbackStore, unifiedDiff } from './feedback.ts';
export type { FeedbackContent, FeedbackInput, FeedbackVersion } from './feedback.ts';
export { tracingHandlers } from './handlers.ts';
export { nowMicros, parentPath, spanClock, spanIdFor } from './ids.ts';
export { anyValue, toOtlpDocument, toOtlpSpan } from './otlp.ts';
export type { ExportSpan, OtlpAnyValue, OtlpKeyValue, OtlpSpan, OtlpTracesData } from './otlp.ts';
export { OtlpPusher, PushConfigStore, pushTokenSecretName } from './push.ts';
export type { PushSettings } from './push.ts';
export { TraceRecorder } from './recorder.ts';
export type { RecorderOptions, RecorderStats, SpanRecord, TraceClosing, TraceOpening } from './recorder.ts';
export { exportPartSpanBudget, TracingService } from './service.ts';
export { TraceStore } from './store.ts';
export type { SpanWithContent } from './store.ts';
export { createRunTracer } from './tracer.ts';
