import { useId } from 'react';
import type { AttributeValue, Feedback, Span } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { formatCount, SpanKindBadge, TraceStatusBadge } from './badges.tsx';
import { FeedbackPanel } from './FeedbackPanel.tsx';
import { outputText } from './feedbackForm.ts';
import { formatMicros, formatMillis } from './waterfall.ts';

const attributeGroups = [
  { prefix: 'gen_ai.', title: 'OpenTelemetry GenAI (gen_ai.*)' },
  { prefix: 'strongroom.', title: 'Strongroom (strongroom.*)' },
  { prefix: '', title: 'Other' },
] as const;

function groupAttributes(attributes: Record<string, AttributeValue>): Array<{ title: string; entries: Array<[string, AttributeValue]> }> {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  const taken = new Set<string>();
  return attributeGroups.map((group) => {
    const mine = entries.filter(([key]) => !taken.has(key) && key.startsWith(group.prefix));
    mine.forEach(([key]) => taken.add(key));
    return { title: group.title, entries: mine };
  }).filter((group) => group.entries.length > 0);
}

const showValue = (value: AttributeValue) => (Array.isArray(value) ? value.join(', ') : String(value));
const numberAttribute = (attributes: Record<string, AttributeValue>, key: string): number | null => (typeof attributes[key] === 'number' ? attributes[key] : null);

/**
 * One span: what it was, when, how long, its tokens and attributes (metadata, from the trace),
 * then its inputs and outputs, which `traces.span` returns only to roles that may read content,
 * and the feedback on it.
 */
export function SpanDetail({ span, traceStartUs, onFeedbackSaved }: { span: Span; traceStartUs: number; onFeedbackSaved?: (feedback: Feedback) => void }) {
  const id = useId();
  const { can } = useAuth();
  const detail = useApiQuery('traces.span', { traceId: span.traceId, spanId: span.spanId });
  const attributes = span.attributes;
  const inputTokens = numberAttribute(attributes, 'gen_ai.usage.input_tokens');
  const outputTokens = numberAttribute(attributes, 'gen_ai.usage.output_tokens');
  const model = attributes['gen_ai.response.model'] ?? attributes['gen_ai.request.model'];
  const content = detail.state.status === 'ok' && detail.state.value.contentVisible ? detail.state.value.content : null;
  const output = content ? outputText(content.output) : null;

  return (
    <section className="span-detail" aria-labelledby={`${id}-title`} data-testid="span-detail" data-span-id={span.spanId}>
      <h3 id={`${id}-title`}><SpanKindBadge kind={span.kind} /> {span.name}</h3>
      <dl className="facts">
        <dt>Status</dt>
        <dd><TraceStatusBadge status={span.status} />{span.errorCode && <> <code>{span.errorCode}</code></>}</dd>
        {span.errorMessage && <><dt>Error</dt><dd className="span-error" data-testid="span-error">{span.errorMessage}</dd></>}
        {span.path && <><dt>Step path</dt><dd><code>{span.path}</code></dd></>}
        <dt>Started</dt><dd><time dateTime={span.startTime}>{new Date(span.startTime).toLocaleString()}</time> (+{formatMicros(Math.max(0, span.startUs - traceStartUs))} into the trace)</dd>
        <dt>Latency</dt><dd data-testid="span-latency">{span.endUs === null ? 'still open' : formatMillis(span.durationMs)}</dd>
        {model !== undefined && <><dt>Model</dt><dd><code>{showValue(model)}</code></dd></>}
        {(inputTokens !== null || outputTokens !== null) && (
          <><dt>Tokens</dt><dd data-testid="span-tokens">{formatCount(inputTokens ?? 0)} in · {formatCount(outputTokens ?? 0)} out</dd></>
        )}
        <dt>Span id</dt><dd><code>{span.spanId}</code></dd>
      </dl>

      <h4>Inputs and outputs</h4>
      {detail.state.status === 'loading' && <p className="notice">Loading content…</p>}
      {detail.state.status === 'error' && <ApiErrorView error={detail.state.error} onRetry={detail.reload} />}
      {detail.state.status === 'ok' && !detail.state.value.contentVisible && (
        <p className="notice span-metadata-only" data-testid="metadata-only">Your role sees metadata only: inputs and outputs are not shown.</p>
      )}
      {content && (
        <div className="span-content" data-testid="span-content">
          <ContentBlock label="Input" value={content.input} />
          <ContentBlock label="Output" value={content.output} />
        </div>
      )}

      <h4>Attributes</h4>
      {Object.keys(attributes).length === 0 ? <p className="notice">No attributes recorded.</p> : (
        <table className="table span-attributes" data-testid="span-attributes">
          <caption className="visually-hidden">Attributes of {span.name}</caption>
          <thead><tr><th scope="col">Attribute</th><th scope="col">Value</th></tr></thead>
          {groupAttributes(attributes).map((group) => (
            <tbody key={group.title}>
              <tr><th scope="colgroup" colSpan={2} className="span-attribute-group">{group.title}</th></tr>
              {group.entries.map(([key, value]) => (
                <tr key={key}><th scope="row"><code>{key}</code></th><td>{showValue(value)}</td></tr>
              ))}
            </tbody>
          ))}
        </table>
      )}

      {can('feedback.read') && <FeedbackPanel key={span.spanId} traceId={span.traceId} spanId={span.spanId} output={output} onSaved={onFeedbackSaved} />}
    </section>
  );
}

function ContentBlock({ label, value }: { label: string; value: unknown }) {
  const empty = value === null || value === undefined;
  return (
    <div className="span-content-block">
      <h5>{label}</h5>
      {empty ? <p className="notice">None recorded.</p> : <pre className="span-text" tabIndex={0}>{outputText(value)}</pre>}
    </div>
  );
}
