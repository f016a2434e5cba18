import { buildInfo } from '../base/index.ts';
import type { AttributeValue, Span, SpanKind } from '../contracts/index.ts';

/**
 * OTLP/JSON, the protobuf-JSON encoding of opentelemetry-proto's TracesData: resourceSpans →
 * scopeSpans → spans, ids as lowercase hex, times as decimal strings of Unix nanoseconds,
 * attributes as typed AnyValues (`intValue` is an int64, hence a string).
 */
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values: OtlpAnyValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status: { code: number; message?: string };
}
export interface OtlpTracesData {
  resourceSpans: Array<{ resource: { attributes: OtlpKeyValue[] }; scopeSpans: Array<{ scope: { name: string; version: string }; spans: OtlpSpan[] }> }>;
}

/** SpanKind in the proto: INTERNAL 1, CLIENT 3. Model and tool calls leave the process (or would). */
const otlpKind = (kind: SpanKind): number => (kind === 'llm' || kind === 'tool' ? 3 : 1);
/** Status codes in the proto: UNSET 0, OK 1, ERROR 2. */
const otlpStatus = { unset: 0, ok: 1, error: 2 } as const;

export function anyValue(value: AttributeValue): OtlpAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  return { arrayValue: { values: value.map((v) => ({ stringValue: v })) } };
}

const keyValues = (attributes: Record<string, AttributeValue>): OtlpKeyValue[] => Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }));
const nanos = (us: number): string => `${Math.round(us)}000`;

/**
 * Content as attributes, where the GenAI conventions put it: a model span's messages and
 * output, a tool span's arguments and result; other spans under strongroom.input/output.
 */
function contentAttributes(kind: SpanKind, content: { input: unknown; output: unknown }): Record<string, string> {
  const text = (value: unknown) => JSON.stringify(value ?? null);
  if (kind === 'llm') return { 'gen_ai.input.messages': text((content.input as { messages?: unknown } | null)?.messages ?? content.input), 'gen_ai.output.messages': text(content.output) };
  if (kind === 'tool') return { 'gen_ai.tool.call.arguments': text((content.input as { arguments?: unknown } | null)?.arguments ?? content.input), 'gen_ai.tool.call.result': text(content.output) };
  return { 'strongroom.input': text(content.input), 'strongroom.output': text(content.output) };
}

export interface ExportSpan extends Span {
  content?: { input: unknown; output: unknown } | null;
  /** The content could not be opened (ERR_STORAGE_TAMPERED): the span goes out without it, marked. */
  contentUnreadable?: string;
}

export function toOtlpSpan(span: ExportSpan): OtlpSpan {
  const attributes: Record<string, AttributeValue> = { ...span.attributes, 'strongroom.span.kind': span.kind };
  if (span.endUs === null) attributes['strongroom.span.open'] = true;
  if (span.errorCode) attributes['error.type'] = span.errorCode;
  if (span.content) Object.assign(attributes, contentAttributes(span.kind, span.content));
  if (span.contentUnreadable) attributes['strongroom.content.unreadable'] = span.contentUnreadable;
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: otlpKind(span.kind),
    startTimeUnixNano: nanos(span.startUs),
    // An open span (waiting on a person, or cut by a crash) is exported with no duration.
    endTimeUnixNano: nanos(span.endUs ?? span.startUs),
    attributes: keyValues(attributes),
    status: span.status === 'error' ? { code: otlpStatus.error, ...(span.errorMessage ? { message: span.errorMessage } : {}) } : { code: otlpStatus[span.status] },
  };
}

/** One TracesData document for spans of one account. */
export function toOtlpDocument(spans: readonly ExportSpan[], resource: { accountId: string; installationId?: string }): OtlpTracesData {
  const build = buildInfo();
  return {
    resourceSpans: [{
      resource: { attributes: keyValues({ 'service.name': 'strongroom', 'service.version': build.version, 'strongroom.account.id': resource.accountId, ...(resource.installationId ? { 'service.instance.id': resource.installationId } : {}) }) },
      scopeSpans: [{ scope: { name: 'strongroom.workflows', version: build.version }, spans: spans.map(toOtlpSpan) }],
    }],
  };
}
