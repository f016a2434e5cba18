import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { ApiError, EventPayload, MethodOutput, Role } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { AutosaveStatus } from '../../app/AutosaveStatus.tsx';
import { useAutosave } from '../../app/useAutosave.ts';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { placePiece, withSnapshot } from '../../app/streamedText.ts';
import type { Streamed } from '../../app/streamedText.ts';
import { useApiEvent, useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { KindBadge } from './DefinitionTree.tsx';
import { StatusBadge } from './RunsList.tsx';
import { SchemaForm } from './SchemaForm.tsx';
import type { JsonSchema } from './schemaValues.ts';
import { RunActions } from './RunActions.tsx';
import { lostAnswers } from './lostAnswers.ts';
import type { LostAnswer, TypedAnswer } from './lostAnswers.ts';
import { cancelledNote, shownStatus, takesAnswers } from './runActions.ts';
import { fieldIssues } from './serverIssues.ts';
import { buildStepTree, failureOf, stepStatus } from './stepTree.ts';
import type { StepNode } from './stepTree.ts';
import { queuedNote } from '../../app/queuedNote.ts';

type RunDetail = MethodOutput<'runs.get'>;
type RunStep = RunDetail['steps'][number];
type Waiting = { prompt?: string; action?: 'approve' | 'edit' | 'input'; form?: JsonSchema | null; shown?: unknown; role?: Role; fourEyes?: boolean };

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

type WorkingAnswer = RunDetail['workingAnswers'][number];

/**
 * What the page keeps of the answers typed on it: when another tab or person answers a step first,
 * its form goes away, and what was typed here is shown instead of vanishing (`lostAnswers.ts`).
 */
interface AnswerTracking {
  typed(path: string, answer: TypedAnswer): void;
  /** This page is sending its answer: the step ending now is not someone else's doing. */
  sending(path: string): void;
  /** The send was refused (e.g. another answer came first): what was typed is not sent after all. */
  notSent(path: string): void;
  dismiss(path: string): void;
  lost: ReadonlyMap<string, LostAnswer>;
}

/**
 * Answers a waiting human step in place: approve/reject with a comment, edit text, or a generated
 * form. What the person types is kept on the server as a working copy (`runs.autosaveAnswer`), so a
 * reload or a crash loses nothing; `saved` is that copy, filled in again.
 */
function HumanAnswer({ runId, step, saved, onAnswered, tracking }: { runId: string; step: RunStep; saved: WorkingAnswer | undefined; onAnswered: () => void; tracking: AnswerTracking }) {
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
  // A form answer's refused fields say why beside themselves (serverIssues.ts).
  const issues = useMemo(() => fieldIssues(error, 'answer'), [error]);
  const autosave = useAutosave<unknown>(useCallback((answer: unknown) => bridge.invoke('runs.autosaveAnswer', { runId, path: step.path, answer }), [bridge, runId, step.path]));
  const keep = (answer: unknown) => { setTouched(true); autosave.schedule(answer); tracking.typed(step.path, { action: waiting.action, value: answer }); };

  async function answer(value: unknown): Promise<void> {
    setBusy(true);
    setError(null);
    // Nothing may land after the answer: the server drops the working copy once it is answered.
    await autosave.cancel();
    tracking.sending(step.path);
    const result = await bridge.invoke('runs.answer', { runId, path: step.path, answer: value });
    setBusy(false);
    if (result.ok) onAnswered();
    else {
      tracking.notSent(step.path);
      setError(result.error);
    }
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
        <SchemaForm schema={waiting.form ?? { type: 'object' }} submitLabel="Submit answer" busy={busy} issues={issues} onSubmit={(value) => void answer(value)} {...(keptAnswer !== null ? { initial: keptAnswer } : {})} onChange={keep} />
      )}
      {mayAnswer && status}
    </div>
  );
}

/**
 * What this page typed into a step that someone else answered first (or that stopped waiting):
 * shown read-only, to copy, until dismissed. Focus comes here only if it fell with the form.
 */
function LostAnswerView({ lost, onDismiss }: { lost: LostAnswer; onDismiss: () => void }) {
  const id = useId();
  const copy = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (document.activeElement === null || document.activeElement === document.body) copy.current?.focus();
  }, []);
  return (
    <div className="human-answer" role="status" data-testid={`answer-lost-${lost.path}`}>
      <p className="human-prompt">
        {lost.reason === 'answered-elsewhere'
          ? 'This step was answered elsewhere while you were typing, so your answer was not sent. What you typed is below so you can copy it.'
          : 'This step stopped waiting for an answer while you were typing, so your answer was not sent. What you typed is below so you can copy it.'}
      </p>
      <div className="field field-wide">
        <label htmlFor={`${id}-typed`}>What you typed (not sent)</label>
        <textarea id={`${id}-typed`} ref={copy} readOnly rows={Math.min(12, Math.max(3, lost.text.split('\n').length))} value={lost.text} />
      </div>
      <button type="button" onClick={onDismiss}>Dismiss</button>
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

function StepTreeView({ nodes, steps, text, queued, run, canAnswer, onAnswered, tracking }: { nodes: StepNode[]; steps: Map<string, RunStep>; text: ReadonlyMap<string, string>; queued: Map<string, number>; run: Pick<RunDetail, 'id' | 'status' | 'replayOf' | 'workingAnswers' | 'names'>; canAnswer: boolean; onAnswered: () => void; tracking: AnswerTracking }) {
  return (
    <ul className="tree run-tree">
      {nodes.map((node) => {
        const step = steps.get(node.path);
        const streamed = text.get(node.path);
        const waitingHuman = step?.status === 'waiting' && node.kind === 'human';
        // An answer only while the run takes one: a run that ended (cancelled, failed), or a replay, takes none.
        const answerable = takesAnswers(run);
        // What a person answered, or what a step produced; a failed step's checkpoint holds only why.
        const answered = isAnswered(step);
        const lost = tracking.lost.get(node.path);
        const body = (
          <>
            {lost && <LostAnswerView lost={lost} onDismiss={() => tracking.dismiss(node.path)} />}
            {node.status === 'queued' && <p className="hint" role="status" data-testid={`queued-${node.path}`}>{queuedNote(queued.get(node.path) ?? 0)}</p>}
            {streamed && node.status === 'running' && <pre className="step-text" aria-busy="true">{streamed}</pre>}
            {waitingHuman && step && !answerable && <p className="notice">{run.replayOf === null ? `The run has ended (${run.status}): this step takes no answer.` : 'A replay asks nobody: this step takes no answer.'}</p>}
            {waitingHuman && step && answerable && (canAnswer ? <HumanAnswer runId={run.id} step={step} saved={run.workingAnswers.find((kept) => kept.path === step.path)} onAnswered={onAnswered} tracking={tracking} /> : <p className="notice">Waiting for someone who may answer runs.</p>)}
            {step && <StepFailureView step={step} status={node.status} />}
            {step && answered && <AnsweredBy output={step.output} names={run.names} path={node.path} />}
            {step && (step.status === 'done' || answered) && step.output !== undefined && step.output !== null && (node.children.length === 0 || node.kind === 'agent') && (
              <details className="step-output"><summary>{node.status === 'rejected' ? 'Answer (rejected)' : 'Output'}</summary><pre className="step-text">{asText(step.output)}</pre></details>
            )}
            {node.children.length > 0 && <StepTreeView nodes={node.children} steps={steps} text={text} queued={queued} run={run} canAnswer={canAnswer} onAnswered={onAnswered} tracking={tracking} />}
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

/** Who answered a human step and when, by name where the API knows it (else the user id). */
function AnsweredBy({ output, names, path }: { output: unknown; names: Record<string, string>; path: string }) {
  const { answeredBy, answeredAt, approved } = (output ?? {}) as { answeredBy?: unknown; answeredAt?: unknown; approved?: unknown };
  if (typeof answeredBy !== 'string') return null;
  const verb = approved === true ? 'Approved' : approved === false ? 'Rejected' : 'Answered';
  return <p className="hint" data-testid={`answered-by-${path}`}>{verb} by {names[answeredBy] ?? answeredBy}{typeof answeredAt === 'string' ? ` at ${new Date(answeredAt).toLocaleString()}` : ''}.</p>;
}

/** A human step with someone's answer recorded (its output names who answered). */
const isAnswered = (step: RunStep | undefined): boolean => step?.kind === 'human' && (step.output as { answeredBy?: unknown } | null)?.answeredBy !== undefined;

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
  const [live, setLive] = useState<Map<string, { kind: string; status: string; ahead?: number }>>(new Map());
  const [streams, setStreams] = useState<ReadonlyMap<string, Streamed>>(new Map());
  const text = useMemo(() => new Map([...streams].map(([path, entry]) => [path, entry.text])), [streams]);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const [typed, setTyped] = useState<ReadonlyMap<string, TypedAnswer>>(new Map());
  const [sentHere, setSentHere] = useState<ReadonlySet<string>>(new Set());
  const trackers = useMemo(() => ({
    typed: (path: string, answer: TypedAnswer) => setTyped((current) => new Map(current).set(path, answer)),
    sending: (path: string) => setSentHere((current) => new Set(current).add(path)),
    notSent: (path: string) => setSentHere((current) => { const next = new Set(current); next.delete(path); return next; }),
    dismiss: (path: string) => setTyped((current) => { const next = new Map(current); next.delete(path); return next; }),
  }), []);

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
    setLive((current) => new Map(current).set(event.path, { kind: event.kind, status: event.status, ...(event.ahead === undefined ? {} : { ahead: event.ahead }) }));
    // Coalesce bursts (a map of 100 items) into one refetch.
    if (!pending.current) pending.current = setTimeout(() => { pending.current = null; reload(); }, 150);
  }, [runId, reload]));
  useApiEvent('runs.delta', useCallback((event: EventPayload<'runs.delta'>) => {
    if (event.runId !== runId) return;
    setStreams((current) => new Map(current).set(event.path, placePiece(current.get(event.path), event)));
  }, [runId]));

  // A page opened or reloaded mid-step: the text streamed before it subscribed comes with the run.
  const snapshot = state.status === 'ok' ? state.value.live : null;
  const [merged, setMerged] = useState<typeof snapshot>(null);
  if (snapshot !== merged) {
    setMerged(snapshot);
    if (snapshot) setStreams((current) => withSnapshot(current, snapshot));
  }

  if (state.status === 'loading') return <p className="notice">Loading run…</p>;
  if (state.status === 'error') return <ApiErrorView error={state.error} onRetry={reload} />;
  const run = state.value;
  const steps = new Map(run.steps.map((s) => [s.path, s]));
  // Steps in flight: as the events say, else as the run said when it loaded (a reload mid-step).
  const inFlight = new Map<string, { kind: string; status: string; ahead?: number }>(run.live.map((l) => [l.path, { kind: l.kind, status: l.status, ...(l.ahead === undefined ? {} : { ahead: l.ahead }) }]));
  for (const [path, l] of live) inFlight.set(path, l);
  const known = [
    ...run.steps.map((s) => ({ path: s.path, kind: s.kind, status: stepStatus(s) })),
    ...[...inFlight.entries()].filter(([path]) => !steps.has(path) && path !== '').map(([path, l]) => ({ path, kind: l.kind, status: l.status })),
  ];
  const tree = buildStepTree(known);
  // Model steps waiting for a busy local model, and how many requests are ahead of each.
  const queued = new Map([...inFlight.entries()].filter(([path, l]) => l.status === 'queued' && !steps.has(path)).map(([path, l]) => [path, l.ahead ?? 0]));
  const lost = lostAnswers(typed, sentHere, run.steps.map((s) => ({ path: s.path, waiting: s.status === 'waiting', answered: isAnswered(s) })), takesAnswers(run) && can('runs.answer'));
  const tracking: AnswerTracking = { ...trackers, lost: new Map(lost.map((answer) => [answer.path, answer])) };

  return (
    <div className="run-view" data-testid="run-view" data-status={run.status}>
      <p><Link to="/workflows/runs">← All runs</Link></p>
      <h2>Run of <Link to={`/workflows/${run.workflowId}`}>{run.workflowId}</Link> <StatusBadge status={shownStatus(run)} /></h2>
      <dl className="facts">
        <dt>Run id</dt><dd><code>{run.id}</code></dd>
        <dt>Trace id</dt><dd>{can('traces.read') ? <Link to={`/traces/${run.traceId}`} aria-label={`Open trace ${run.traceId}`}><code>{run.traceId}</code></Link> : <code>{run.traceId}</code>}</dd>
        <dt>Version</dt><dd><code title={run.version}>{run.version.slice(0, 12)}</code></dd>
        <dt>Started</dt><dd>{new Date(run.createdAt).toLocaleString()} by <span data-testid="run-started-by">{run.names[run.createdBy] ?? run.createdBy}</span></dd>
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
      {tree.length === 0 ? <p className="notice">No step has started yet.</p> : <StepTreeView nodes={tree} steps={steps} text={text} queued={queued} run={run} canAnswer={can('runs.answer')} onAnswered={reload} tracking={tracking} />}
      {run.status === 'completed' && (
        <>
          <h3>Output</h3>
          <pre className="step-text run-output" data-testid="run-output">{asText(run.output)}</pre>
        </>
      )}
    </div>
  );
}
