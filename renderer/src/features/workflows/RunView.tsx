import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { ApiError, EventPayload, MethodOutput, Role } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { AutosaveStatus } from '../../app/AutosaveStatus.tsx';
import { useAutosave } from '../../app/useAutosave.ts';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { useApiEvent, useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { KindBadge } from './DefinitionTree.tsx';
import { StatusBadge } from './RunsList.tsx';
import { SchemaForm } from './SchemaForm.tsx';
import type { JsonSchema } from './schemaValues.ts';
import { RunActions } from './RunActions.tsx';
import { cancelledNote, takesAnswers } from './runActions.ts';
import { buildStepTree, failureOf, stepStatus } from './stepTree.ts';
import type { StepNode } from './stepTree.ts';

type RunDetail = MethodOutput<'runs.get'>;
type RunStep = RunDetail['steps'][number];
type Waiting = { prompt?: string; action?: 'approve' | 'edit' | 'input'; form?: JsonSchema | null; shown?: unknown; role?: Role; fourEyes?: boolean };

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

type WorkingAnswer = RunDetail['workingAnswers'][number];

/**
 * Answers a waiting human step in place: approve/reject with a comment, edit text, or a generated
 * form. What the person types is kept on the server as a working copy (`runs.autosaveAnswer`), so a
 * reload or a crash loses nothing; `saved` is that copy, filled in again.
 */
function HumanAnswer({ runId, step, saved, onAnswered }: { runId: string; step: RunStep; saved: WorkingAnswer | undefined; onAnswered: () => void }) {
  const bridge = useBridge();
  const id = useId();
  const waiting = (step.output ?? {}) as Waiting;
  const { roles } = useAuth();
  // A step may ask for a role (e.g. reviewer); without it there is nothing to fill in here.
  const mayAnswer = waiting.role === undefined || roles.includes(waiting.role);
  const keptAnswer: unknown = saved?.answer ?? null;
  const kept = keptAnswer !== null && typeof keptAnswer === 'object' ? (keptAnswer as { comment?: unknown; text?: unknown }) : null;
  const [comment, setComment] = useState(() => (typeof kept?.comment === 'string' ? kept.comment : ''));
  const [text, setText] = useState(() => (typeof kept?.text === 'string' ? kept.text : waiting.shown === null || waiting.shown === undefined ? '' : asText(waiting.shown)));
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const autosave = useAutosave<unknown>(useCallback((answer: unknown) => bridge.invoke('runs.autosaveAnswer', { runId, path: step.path, answer }), [bridge, runId, step.path]));
  const keep = (answer: unknown) => { setTouched(true); autosave.schedule(answer); };

  async function answer(value: unknown): Promise<void> {
    setBusy(true);
    setError(null);
    // Nothing may land after the answer: the server drops the working copy once it is answered.
    await autosave.cancel();
    const result = await bridge.invoke('runs.answer', { runId, path: step.path, answer: value });
    setBusy(false);
    if (result.ok) onAnswered();
    else setError(result.error);
  }

  const keptNote = saved && !touched && <p className="notice" data-testid="answer-restored">Filled in with what you typed at {new Date(saved.savedAt).toLocaleTimeString()} and had not submitted.</p>;
  const status = (touched || saved) && <AutosaveStatus state={autosave.state} what="answer" />;

  return (
    <div className="human-answer" data-testid={`answer-${step.path}`}>
      {waiting.prompt && <p className="human-prompt">{waiting.prompt}</p>}
      {waiting.action !== 'edit' && waiting.shown !== null && waiting.shown !== undefined && (
        <details className="human-shown"><summary>What to review</summary><pre className="step-text">{asText(waiting.shown)}</pre></details>
      )}
      {error && <ApiErrorView error={error} />}
      {mayAnswer && keptNote}
      {!mayAnswer && <p className="hint" data-testid="answer-role">Only someone with the {waiting.role} role in this account may answer this step.</p>}
      {mayAnswer && waiting.action === 'approve' && (
        <div>
          {waiting.fourEyes && <p className="hint" data-testid="four-eyes">Needs a second person (four-eyes): whoever started this run can neither approve nor reject it.</p>}
          <div className="field field-wide">
            <label htmlFor={`${id}-comment`}>Comment (optional)</label>
            <textarea id={`${id}-comment`} rows={3} value={comment} onChange={(e) => { setComment(e.target.value); keep({ comment: e.target.value }); }} onBlur={() => void autosave.flush()} />
          </div>
          <div className="button-row">
            <button type="button" className="primary" disabled={busy} onClick={() => void answer({ approved: true, ...(comment.trim() ? { comment } : {}) })}>Approve</button>
            <button type="button" className="danger" disabled={busy} onClick={() => void answer({ approved: false, ...(comment.trim() ? { comment } : {}) })}>Reject</button>
          </div>
        </div>
      )}
      {mayAnswer && waiting.action === 'edit' && (
        <form onSubmit={(e) => { e.preventDefault(); void answer({ text }); }}>
          <div className="field field-wide">
            <label htmlFor={`${id}-text`}>Text</label>
            <textarea id={`${id}-text`} rows={12} value={text} onChange={(e) => { setText(e.target.value); keep({ text: e.target.value }); }} onBlur={() => void autosave.flush()} />
          </div>
          <button type="submit" className="primary" disabled={busy}>Save and continue</button>
        </form>
      )}
      {mayAnswer && waiting.action === 'input' && (
        <SchemaForm schema={waiting.form ?? { type: 'object' }} submitLabel="Submit answer" busy={busy} onSubmit={(value) => void answer(value)} {...(keptAnswer !== null ? { initial: keptAnswer } : {})} onChange={keep} />
      )}
      {mayAnswer && status}
    </div>
  );
}

/**
 * Why a step failed, from its checkpoint: the innermost one says what, the ones around it where.
 * A step the run's cancellation stopped says so plainly: a cancel is a decision, not an error.
 */
function StepFailureView({ step, status }: { step: RunStep; status: string | null }) {
  const failure = failureOf(step);
  if (!failure) return null;
  const testId = `step-failure-${step.path}`;
  if (status === 'cancelled') return <p className="step-stopped" data-testid={testId}>Not finished: {failure.message}</p>;
  if (failure.at) return <p className="step-failure" data-testid={testId}>Failed in <code>{failure.at}</code>.</p>;
  return <p className="step-failure" data-testid={testId}>{failure.message} <span className="step-code">(<code>{failure.code}</code>)</span></p>;
}

function StepTreeView({ nodes, steps, text, run, canAnswer, onAnswered }: { nodes: StepNode[]; steps: Map<string, RunStep>; text: Map<string, string>; run: Pick<RunDetail, 'id' | 'status' | 'replayOf' | 'workingAnswers'>; canAnswer: boolean; onAnswered: () => void }) {
  return (
    <ul className="tree run-tree">
      {nodes.map((node) => {
        const step = steps.get(node.path);
        const streamed = text.get(node.path);
        const waitingHuman = step?.status === 'waiting' && node.kind === 'human';
        // An answer only while the run takes one: a run that ended (cancelled, failed), or a replay, takes none.
        const answerable = takesAnswers(run);
        // What a person answered, or what a step produced; a failed step's checkpoint holds only why.
        const answered = step?.kind === 'human' && (step.output as { answeredBy?: unknown } | null)?.answeredBy !== undefined;
        const body = (
          <>
            {streamed && node.status === 'running' && <pre className="step-text" aria-live="polite">{streamed}</pre>}
            {waitingHuman && step && !answerable && <p className="notice">{run.replayOf === null ? `The run has ended (${run.status}): this step takes no answer.` : 'A replay asks nobody: this step takes no answer.'}</p>}
            {waitingHuman && step && answerable && (canAnswer ? <HumanAnswer runId={run.id} step={step} saved={run.workingAnswers.find((kept) => kept.path === step.path)} onAnswered={onAnswered} /> : <p className="notice">Waiting for someone who may answer runs.</p>)}
            {step && <StepFailureView step={step} status={node.status} />}
            {step && (step.status === 'done' || answered) && step.output !== undefined && step.output !== null && (node.children.length === 0 || node.kind === 'agent') && (
              <details className="step-output"><summary>{node.status === 'rejected' ? 'Answer (rejected)' : 'Output'}</summary><pre className="step-text">{asText(step.output)}</pre></details>
            )}
            {node.children.length > 0 && <StepTreeView nodes={node.children} steps={steps} text={text} run={run} canAnswer={canAnswer} onAnswered={onAnswered} />}
          </>
        );
        return (
          <li key={node.path} data-testid={`run-step-${node.path}`} data-status={node.status ?? 'pending'}>
            <div className="run-step-head">
              {node.kind ? <KindBadge kind={node.kind} /> : <span className="kind">⋯</span>} <span className="step-id">{node.label}</span> <StatusBadge status={node.status} />
            </div>
            {body}
          </li>
        );
      })}
    </ul>
  );
}

/** How often a running run is looked at again when no event arrives: it may have been left behind. */
const quietRefreshMs = 30_000;

/** `/workflows/runs/:runId`; keyed by run so a replay opened from its original starts afresh. */
export function RunView() {
  const { runId = '' } = useParams();
  return <RunPage key={runId} runId={runId} />;
}

/**
 * The run as a nested step tree. `runs.progress` marks steps running and triggers a refetch of
 * the checkpointed steps; `runs.delta` streams a model step's text.
 */
function RunPage({ runId }: { runId: string }) {
  const { can } = useAuth();
  const { state, reload } = useApiQuery('runs.get', { runId });
  const [live, setLive] = useState<Map<string, { kind: string; status: string }>>(new Map());
  const [text, setText] = useState<Map<string, string>>(new Map());
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => () => { if (pending.current) clearTimeout(pending.current); }, []);
  // A running run's process can stop without a word: look again now and then, so Resume appears.
  const running = state.status === 'ok' && state.value.status === 'running';
  useEffect(() => {
    if (!running) return undefined;
    const timer = setTimeout(reload, quietRefreshMs);
    return () => clearTimeout(timer);
  }, [running, state, reload]);

  useApiEvent('runs.progress', useCallback((event: EventPayload<'runs.progress'>) => {
    if (event.runId !== runId) return;
    setLive((current) => new Map(current).set(event.path, { kind: event.kind, status: event.status }));
    // Coalesce bursts (a map of 100 items) into one refetch.
    if (!pending.current) pending.current = setTimeout(() => { pending.current = null; reload(); }, 150);
  }, [runId, reload]));
  useApiEvent('runs.delta', useCallback((event: EventPayload<'runs.delta'>) => {
    if (event.runId !== runId) return;
    setText((current) => new Map(current).set(event.path, (current.get(event.path) ?? '') + event.text));
  }, [runId]));

  if (state.status === 'loading') return <p className="notice">Loading run…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const run = state.value;
  const steps = new Map(run.steps.map((s) => [s.path, s]));
  const known = [
    ...run.steps.map((s) => ({ path: s.path, kind: s.kind, status: stepStatus(s) })),
    ...[...live.entries()].filter(([path]) => !steps.has(path) && path !== '').map(([path, l]) => ({ path, kind: l.kind, status: l.status })),
  ];
  const tree = buildStepTree(known);

  return (
    <div className="run-view" data-testid="run-view" data-status={run.status}>
      <p><Link to="/workflows/runs">← All runs</Link></p>
      <h2>Run of <Link to={`/workflows/${run.workflowId}`}>{run.workflowId}</Link> <StatusBadge status={run.status} /></h2>
      <dl className="facts">
        <dt>Run id</dt><dd><code>{run.id}</code></dd>
        <dt>Trace id</dt><dd>{can('traces.read') ? <Link to={`/traces/${run.traceId}`} aria-label={`Open trace ${run.traceId}`}><code>{run.traceId}</code></Link> : <code>{run.traceId}</code>}</dd>
        <dt>Version</dt><dd><code title={run.version}>{run.version.slice(0, 12)}</code></dd>
        <dt>Started</dt><dd>{new Date(run.createdAt).toLocaleString()}</dd>
        {run.modelId && <><dt>Model</dt><dd><code>{run.modelId}</code>{run.testModel && <TestModelBadge />}</dd></>}
        {run.replayOf && (
          <>
            <dt>Replay of</dt>
            <dd data-testid="replay-of"><Link to={`/workflows/runs/${run.replayOf}`} aria-label={`Open the original run ${run.replayOf}`}><code>{run.replayOf}</code></Link></dd>
          </>
        )}
      </dl>
      {run.replayOf && <p className="hint">A replay: recorded model outputs, tool results and human answers were used; no model or tool was called and nobody was asked.</p>}
      {/* A cancel is someone's decision, not an error: said as a state. */}
      {run.status === 'cancelled' && <p className="notice run-cancelled" data-testid="run-cancelled">{cancelledNote(run)}</p>}
      {run.errorCode && run.status !== 'cancelled' && <div className="error-panel" role="alert"><p className="error-message">{run.errorMessage}</p><p className="error-code">Error code <code>{run.errorCode}</code></p></div>}
      <RunActions run={run} onChanged={reload} />
      <h3>Steps</h3>
      {tree.length === 0 ? <p className="notice">No step has started yet.</p> : <StepTreeView nodes={tree} steps={steps} text={text} run={run} canAnswer={can('runs.answer')} onAnswered={reload} />}
      {run.status === 'completed' && (
        <>
          <h3>Output</h3>
          <pre className="step-text run-output" data-testid="run-output">{asText(run.output)}</pre>
        </>
      )}
    </div>
  );
}
