import { Link } from 'react-router';
import type { DraftSection } from '../../../../core/contracts/index.ts';

const sourceKinds: Record<DraftSection['provenance']['sources'][number]['kind'], string> = {
  input: 'Input data',
  tool: 'Tool result',
  passage: 'Retrieved passage',
  section: 'Earlier section',
};

/**
 * Where a section came from: the span that produced it (a link into the trace explorer when the
 * person may read traces), the model, the workflow version, and the sources it cites.
 */
export function Provenance({ section, canReadTraces }: { section: DraftSection; canReadTraces: boolean }) {
  const { provenance } = section;
  const spanHref = provenance.spanId ? `/traces/${provenance.traceId}?span=${provenance.spanId}` : `/traces/${provenance.traceId}`;
  return (
    <dl className="facts facts-compact provenance">
      <dt>Span</dt>
      <dd>
        {canReadTraces ? <Link to={spanHref}>{provenance.spanId ? <code>{provenance.spanId}</code> : 'the run’s trace'}</Link> : <code>{provenance.spanId ?? '—'}</code>}
        <span className="hint"> in trace <code>{provenance.traceId}</code></span>
      </dd>
      <dt>Model</dt>
      <dd>{provenance.model ? <code>{provenance.model}</code> : '—'}</dd>
      <dt>Workflow</dt>
      <dd><code>{provenance.workflowId}</code> version <code title={provenance.workflowVersion}>{provenance.workflowVersion.slice(0, 12)}</code></dd>
      <dt>Sources</dt>
      <dd>
        {provenance.sources.length === 0 ? 'None cited.' : (
          <ul className="source-list">
            {provenance.sources.map((source, index) => <li key={`${source.kind}:${source.label}:${index}`}><span className="tag">{sourceKinds[source.kind]}</span> {source.label}</li>)}
          </ul>
        )}
      </dd>
      {section.updatedBy && (
        <>
          <dt>Last change</dt>
          <dd>{section.updatedByName ?? section.updatedBy}{section.updatedAt ? `, ${new Date(section.updatedAt).toLocaleString()}` : ''}</dd>
        </>
      )}
    </dl>
  );
}
