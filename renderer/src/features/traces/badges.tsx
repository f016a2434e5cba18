import type { SpanKind } from '../../../../core/contracts/index.ts';

/** Span kinds as people read them, with a glyph each (decorative; the word carries the meaning). */
export const spanKindInfo: Record<SpanKind, { icon: string; label: string }> = {
  workflow: { icon: '↳', label: 'Workflow' },
  step: { icon: '▸', label: 'Step' },
  llm: { icon: '✎', label: 'Model' },
  tool: { icon: '⚙', label: 'Tool' },
  retrieval: { icon: '⌕', label: 'Retrieval' },
  guardrail: { icon: '⚖', label: 'Guardrail' },
  cache: { icon: '⟲', label: 'Cache' },
  human: { icon: '⚑', label: 'Person' },
  agent: { icon: '◎', label: 'Agent' },
};

export function SpanKindBadge({ kind, compact = false }: { kind: SpanKind; compact?: boolean }) {
  const info = spanKindInfo[kind] ?? { icon: '•', label: kind };
  return (
    <span className={`span-kind span-kind-${kind}${compact ? ' span-kind-compact' : ''}`}>
      <span aria-hidden="true">{info.icon}</span> {info.label}
    </span>
  );
}

/** A trace's or span's status as a pill; the word is always shown, colour only repeats it. */
export function TraceStatusBadge({ status }: { status: string }) {
  return <span className={`trace-status trace-status-${status}`}>{status}</span>;
}

/** Counts with thousands separators, the same in every locale's test run. */
export function formatCount(value: number): string {
  return value.toLocaleString('en');
}

/** The first characters of an id, the whole id in the tooltip. */
export function ShortId({ id, length = 8 }: { id: string; length?: number }) {
  return <code title={id}>{id.slice(0, length)}</code>;
}
