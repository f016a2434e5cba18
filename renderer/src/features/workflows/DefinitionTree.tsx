import { useState } from 'react';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { useApiQuery } from '../../bridge/context.tsx';

/** Step kinds as a person reads them, with a glyph each (decorative; the word carries the meaning). */
export const stepKinds: Record<string, { icon: string; label: string }> = {
  llm: { icon: '✎', label: 'Model' },
  tool: { icon: '⚙', label: 'Tool' },
  retrieve: { icon: '⌕', label: 'Retrieve' },
  map: { icon: '☰', label: 'For each' },
  branch: { icon: '⋔', label: 'Branch' },
  workflow: { icon: '↳', label: 'Sub-workflow' },
  human: { icon: '⚑', label: 'Person' },
  agent: { icon: '◎', label: 'Agent' },
  guardrail: { icon: '⚖', label: 'Guardrail' },
  // Run steps only: what an agent step checkpoints as it works.
  'agent-turn': { icon: '↻', label: 'Agent turn' },
  'agent-tool': { icon: '⚙', label: 'Tool call' },
};

export function KindBadge({ kind }: { kind: string }) {
  const known = stepKinds[kind] ?? { icon: '•', label: kind };
  return <span className={`kind kind-${kind}`}><span aria-hidden="true">{known.icon}</span> {known.label}</span>;
}

type StepLike = Record<string, unknown> & { id?: string; kind?: string; title?: string };

function summaryOf(step: StepLike): string | null {
  switch (step.kind) {
    case 'tool': return `tool ${String(step.tool)}`;
    case 'map': return `over ${String(step.over)}`;
    case 'workflow': return `runs ${String(step.workflow)}`;
    case 'human': return `${String(step.action)}`;
    case 'guardrail': return `policy ${String(step.policy)}`;
    case 'agent': return `tools ${Array.isArray(step.tools) ? step.tools.join(', ') : ''}`;
    default: return null;
  }
}

/** A sub-workflow's steps, fetched only when its node is opened. */
function SubWorkflow({ workflowId, depth }: { workflowId: string; depth: number }) {
  const { state, reload } = useApiQuery('workflows.get', { workflowId });
  if (state.status === 'loading') return <p className="notice">Loading {workflowId}…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const steps = (state.value.definition.steps ?? []) as StepLike[];
  return <StepList steps={steps} depth={depth} />;
}

function StepItem({ step, depth }: { step: StepLike; depth: number }) {
  const [open, setOpen] = useState(false);
  const kind = step.kind ?? 'unknown';
  const children: Array<{ label: string | null; steps: StepLike[] }> = [];
  if (kind === 'map' && Array.isArray(step.steps)) children.push({ label: null, steps: step.steps as StepLike[] });
  if (kind === 'branch') {
    for (const c of (step.cases ?? []) as Array<{ when: unknown; steps: StepLike[] }>) children.push({ label: `when ${JSON.stringify(c.when)}`, steps: c.steps });
    if (Array.isArray(step.otherwise)) children.push({ label: 'otherwise', steps: step.otherwise as StepLike[] });
  }
  const nested = children.length > 0 || (kind === 'workflow' && depth < 6);
  const summary = summaryOf(step);
  const heading = (
    <>
      <KindBadge kind={kind} /> <span className="step-id">{step.title ?? step.id}</span>
      {step.title && <code className="step-code">{step.id}</code>}
      {summary && <span className="hint step-summary"> — {summary}</span>}
    </>
  );
  if (!nested) return <li className="tree-leaf" data-testid={`def-step-${String(step.id)}`}>{heading}</li>;
  return (
    <li data-testid={`def-step-${String(step.id)}`}>
      <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>{heading}</summary>
        {open && (kind === 'workflow'
          ? <SubWorkflow workflowId={String(step.workflow)} depth={depth + 1} />
          : children.map((group, i) => (
            <div key={i} className="tree-group">
              {group.label && <p className="tree-case"><code>{group.label}</code></p>}
              <StepList steps={group.steps} depth={depth + 1} />
            </div>
          )))}
      </details>
    </li>
  );
}

function StepList({ steps, depth }: { steps: StepLike[]; depth: number }) {
  return <ul className="tree">{steps.map((step) => <StepItem key={String(step.id)} step={step} depth={depth} />)}</ul>;
}

/** A definition's steps as a collapsible tree: maps, branches and sub-workflows open in place. */
export function DefinitionTree({ steps }: { steps: StepLike[] }) {
  return <div className="definition-tree" data-testid="definition-tree"><StepList steps={steps} depth={0} /></div>;
}
