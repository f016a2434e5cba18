import { Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { DraftComment, DraftDetail, EventPayload } from '../../../../core/contracts/index.ts';
import { DraftIdSchema } from '../../../../core/contracts/index.ts';
import { ApiErrorView } from '../../app/ApiErrorView.tsx';
import { placePiece, withSnapshot } from '../../app/streamedText.ts';
import type { Streamed } from '../../app/streamedText.ts';
import { useApiEvent, useApiQuery, useBridge } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { StatusBadge } from '../workflows/RunsList.tsx';
import { CommentForm, CommentList } from './Comments.tsx';
import { ExportActions, StatusActions } from './DraftActions.tsx';
import { DraftStatusBadge, SectionHeading, sectionStatusLabel } from './badges.tsx';
import { TestModelBadge } from '../../app/TestModelBadge.tsx';
import { buildOutline, percent, readingOrder, sectionDomId, totalCounts } from './outline.ts';
import { runStoppedWriting } from './readiness.ts';
import { useAnnouncedAction } from './useAnnouncedAction.ts';
import type { OutlineNode, SectionCounts } from './outline.ts';
import { SectionCard } from './SectionCard.tsx';
import type { SectionAbilities, SectionHandle } from './SectionCard.tsx';
import { shortcutFor } from './shortcuts.ts';
import { ShortcutsDialog } from './ShortcutsDialog.tsx';
import type { ShortcutsDialogHandle } from './ShortcutsDialog.tsx';

/** `/drafts/:draftId`: a draft, live while its run writes it. */
export function DraftView() {
  const { draftId = '' } = useParams();
  if (!DraftIdSchema.safeParse(draftId).success) {
    return (
      <div className="draft-view">
        <p><Link to="/drafts">← All drafts</Link></p>
        <p className="error-panel" role="alert">“{draftId}” is not a draft id.</p>
      </div>
    );
  }
  return <LoadedDraft key={draftId} draftId={draftId} />;
}

/**
 * Fetches the draft and keeps it current: `drafts.updated` refetches (coalesced, so a burst of
 * sections is one request); `drafts.delta` streams the text of the section being written. The
 * refetch keeps the last document on screen, so editors stay open and keep their text.
 */
function LoadedDraft({ draftId }: { draftId: string }) {
  const { state, reload } = useApiQuery('drafts.get', { draftId });
  const [streams, setStreamed] = useState<ReadonlyMap<string, Streamed>>(new Map());
  const streamed = useMemo(() => new Map([...streams].map(([path, entry]) => [path, entry.text])), [streams]);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (pending.current) clearTimeout(pending.current); }, []);

  useApiEvent('drafts.updated', useCallback((event: EventPayload<'drafts.updated'>) => {
    if (event.draftId !== draftId || pending.current) return;
    pending.current = setTimeout(() => { pending.current = null; reload(); }, 150);
  }, [draftId, reload]));
  useApiEvent('drafts.delta', useCallback((event: EventPayload<'drafts.delta'>) => {
    if (event.draftId !== draftId) return;
    setStreamed((current) => new Map(current).set(event.path, placePiece(current.get(event.path), event)));
  }, [draftId]));
  // A page opened or reloaded mid-section: the text streamed before it subscribed comes with the draft.
  const snapshot = state.status === 'ok' ? state.value.live : null;
  const [merged, setMerged] = useState<typeof snapshot>(null);
  if (snapshot !== merged) {
    setMerged(snapshot);
    if (snapshot) setStreamed((current) => withSnapshot(current, snapshot));
  }
  const clearStream = useCallback((path: string) => {
    setStreamed((current) => {
      const next = new Map(current);
      next.delete(path);
      return next;
    });
  }, []);

  if (state.status === 'loading') return <div className="draft-view"><p><Link to="/drafts">← All drafts</Link></p><p className="notice" role="status">Loading draft…</p></div>;
  if (state.status === 'error') return <div className="draft-view"><p><Link to="/drafts">← All drafts</Link></p><ApiErrorView error={state.error} onRetry={reload} /></div>;
  return <DraftDocument draft={state.value} streamed={streamed} reload={reload} onRegenerating={clearStream} />;
}

function countsText(counts: SectionCounts): string {
  return `${counts.drafted} of ${counts.total} drafted${counts.reviewed > 0 ? `, ${counts.reviewed} reviewed` : ''}`;
}

/** The outline beside the document: every heading, with per-group progress; a link focuses the section. */
function Outline({ nodes, current, onJump }: { nodes: readonly OutlineNode[]; current: string | null; onJump: (path: string) => void }) {
  return (
    <ol className="outline-list">
      {nodes.map((node) => (
        <li key={node.section.path}>
          <a
            href={`#${sectionDomId(node.section.path)}`}
            aria-current={node.section.path === current ? 'location' : undefined}
            onClick={(event) => { event.preventDefault(); onJump(node.section.path); }}
          >
            {node.section.heading}
          </a>
          <span className={`outline-state outline-state-${node.section.container ? 'group' : node.section.status}`}>
            {node.section.container ? ` ${node.counts.drafted} of ${node.counts.total}` : ` ${sectionStatusLabel(node.section.status)}`}
          </span>
          {node.children.length > 0 && <Outline nodes={node.children} current={current} onJump={onJump} />}
        </li>
      ))}
    </ol>
  );
}

interface SectionTreeProps {
  nodes: readonly OutlineNode[];
  draft: DraftDetail;
  streamed: ReadonlyMap<string, string>;
  commentsBySection: ReadonlyMap<string, DraftComment[]>;
  abilities: SectionAbilities;
  current: string | null;
  onFocused: (path: string) => void;
  reload: () => void;
  onRegenerating: (path: string) => void;
  register: (path: string, handle: SectionHandle | null) => void;
}

/** The document body: containers as headed groups with their progress, sections as cards, nested. */
function SectionTree(props: SectionTreeProps) {
  const { nodes, draft, streamed, commentsBySection, abilities, current, onFocused, reload, onRegenerating, register } = props;
  return nodes.map((node) => {
    const { section } = node;
    const domId = sectionDomId(section.path);
    if (section.container) {
      return (
        <section key={section.path} id={domId} tabIndex={-1} className="draft-container" aria-labelledby={`${domId}-heading`} data-testid={`container-${section.path}`} data-status={section.status}>
          <div className="draft-section-head">
            <SectionHeading level={section.level} id={`${domId}-heading`}>{section.heading}</SectionHeading>
            <span className="container-progress" data-testid="container-progress">{node.children.length === 0 && section.status !== 'pending' ? section.status : countsText(node.counts)}</span>
          </div>
          <SectionTree {...props} nodes={node.children} />
        </section>
      );
    }
    return (
      <Fragment key={section.path}>
        <div id={domId} className="draft-section-anchor">
          <SectionCard
            draftId={draft.id}
            section={section}
            streamed={streamed.get(section.path)}
            queuedAhead={draft.live.find((entry) => entry.path === section.path)?.ahead}
            comments={commentsBySection.get(section.path) ?? []}
            abilities={abilities}
            current={current === section.path}
            onFocused={onFocused}
            onChanged={reload}
            onRegenerating={onRegenerating}
            register={register}
          />
        </div>
        {node.children.length > 0 && <div className="draft-subsections"><SectionTree {...props} nodes={node.children} /></div>}
      </Fragment>
    );
  });
}

/**
 * A failed run drafts no more sections: Retry the run (`runs.resume`: from the step that failed;
 * finished steps are not redone), for those who may start runs, while the draft is still a draft.
 */
function RetryRun({ draft, onChanged }: { draft: DraftDetail; onChanged: () => void }) {
  const bridge = useBridge();
  const { busy, error, announcement, run } = useAnnouncedAction(onChanged);
  return (
    <div className="retry-run" data-testid="retry-run">
      <p className="hint">The run failed{draft.sectionsDone < draft.sectionCount ? ', so some sections have no text' : ''}. Retry it from the step that failed, or write the missing sections yourself.</p>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => void run('Retrying the run: sections fill in as it writes them.', () => bridge.invoke('runs.resume', { runId: draft.runId }))}>{busy ? 'Retrying…' : 'Retry the run'}</button>
      </div>
      <p className="announcement" role="status">{announcement}</p>
      {error && <ApiErrorView error={error} />}
    </div>
  );
}

function DraftDocument({ draft, streamed, reload, onRegenerating }: { draft: DraftDetail; streamed: ReadonlyMap<string, string>; reload: () => void; onRegenerating: (path: string) => void }) {
  const { can } = useAuth();
  const outline = useMemo(() => buildOutline(draft.sections), [draft.sections]);
  const counts = totalCounts(outline);
  const order = useMemo(() => readingOrder(outline).map((section) => section.path), [outline]);
  const handles = useRef(new Map<string, SectionHandle>());
  const shortcuts = useRef<ShortcutsDialogHandle>(null);
  const [current, setCurrent] = useState<string | null>(null);
  const register = useCallback((path: string, handle: SectionHandle | null) => {
    if (handle) handles.current.set(path, handle);
    else handles.current.delete(path);
  }, []);

  const commentsBySection = useMemo(() => {
    const map = new Map<string, DraftComment[]>();
    for (const comment of draft.comments) {
      if (comment.sectionPath === null) continue;
      map.set(comment.sectionPath, [...(map.get(comment.sectionPath) ?? []), comment]);
    }
    return map;
  }, [draft.comments]);
  const documentComments = draft.comments.filter((comment) => comment.sectionPath === null);

  const jump = useCallback((path: string) => {
    const handle = handles.current.get(path);
    if (handle) handle.focus();
    else document.getElementById(sectionDomId(path))?.focus();
    document.getElementById(sectionDomId(path))?.scrollIntoView({ block: 'start' });
  }, []);

  // Single-key shortcuts for the current section; none while typing or while a dialog is open.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || document.querySelector('dialog[open]')) return;
      const action = shortcutFor(event);
      if (!action) return;
      event.preventDefault();
      if (action === 'help') {
        shortcuts.current?.open();
        return;
      }
      if (action === 'next' || action === 'previous') {
        if (order.length === 0) return;
        const index = current === null ? -1 : order.indexOf(current);
        const next = action === 'next' ? Math.min(index + 1, order.length - 1) : index <= 0 ? 0 : index - 1;
        jump(order[next]!);
        return;
      }
      const handle = current === null ? undefined : handles.current.get(current);
      handle?.[action]();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [order, current, jump]);

  const editable = draft.status === 'draft';
  const abilities: SectionAbilities = { write: can('drafts.write') && editable, comment: can('feedback.write'), readTraces: can('traces.read'), runStopped: runStoppedWriting(draft.runStatus), runFailed: draft.runStatus === 'failed' };
  const runActive = draft.runStatus === 'running' || draft.runStatus === 'waiting';
  return (
    <div className="draft-view" data-testid="draft-view" data-status={draft.status} data-run-status={draft.runStatus}>
      <p><Link to="/drafts">← All drafts</Link></p>
      <div className="draft-title-row">
        <h2 className="draft-title">{draft.title}</h2>
        <DraftStatusBadge status={draft.status} />
        {draft.demo && <TestModelBadge compact />}
        <button type="button" className="shortcuts-button" onClick={() => shortcuts.current?.open()}>Keyboard shortcuts <kbd>?</kbd></button>
      </div>
      {draft.demo && <p className="warning-panel">Drafted with the generated test model: its text is meaningless. Exports say so too.</p>}
      <dl className="facts facts-compact">
        <dt>Workflow</dt><dd>{draft.workflowName} <code title={draft.version}>{draft.version.slice(0, 12)}</code></dd>
        <dt>Model</dt><dd>{draft.modelId ? <code>{draft.modelId}</code> : 'the account’s default model'}</dd>
        <dt>Run</dt>
        <dd>
          <StatusBadge status={draft.runStatus} />{' '}
          {can('runs.read') && <Link to={`/workflows/runs/${draft.runId}`}>run</Link>}
          {can('runs.read') && can('traces.read') && ' · '}
          {can('traces.read') && <Link to={`/traces/${draft.traceId}`}>trace</Link>}
        </dd>
        <dt>Started</dt><dd>{draft.createdByName ?? draft.createdBy}, {new Date(draft.createdAt).toLocaleString()}</dd>
        <dt>Last change</dt><dd>{new Date(draft.updatedAt).toLocaleString()}</dd>
      </dl>

      <div className="draft-progress" data-testid="draft-progress">
        <label htmlFor="draft-progress-bar">Drafted {counts.drafted} of {counts.total} sections{counts.running > 0 ? ` (${counts.running} being written)` : ''}</label>
        <progress id="draft-progress-bar" max={Math.max(counts.total, 1)} value={counts.drafted} aria-valuetext={`${percent(counts.drafted, counts.total)}%`} />
        <p className="hint">
          Reviewed {counts.reviewed} of {counts.total}
          {counts.rejected > 0 ? ` · ${counts.rejected} rejected` : ''}
          {counts.failed > 0 ? ` · ${counts.failed} failed` : ''}
          {runActive ? ' · the run is still going: sections appear as they are written.' : ''}
        </p>
        {draft.runStatus === 'failed' && editable && can('runs.start') && <RetryRun draft={draft} onChanged={reload} />}
      </div>

      <div className="draft-controls">
        <StatusActions draft={draft} onChanged={reload} onJump={jump} />
        {can('drafts.export') && <ExportActions draftId={draft.id} />}
      </div>
      {!editable && can('drafts.write') && <p className="hint">{draft.status === 'in_review' ? 'In review: take the draft back to edit its sections.' : 'Approved: the draft can no longer be changed.'}</p>}

      <div className="draft-layout">
        <nav className="draft-outline" aria-label="Document outline">
          <p className="outline-title" aria-hidden="true">Outline</p>
          {outline.length === 0 ? <p className="notice">No sections yet.</p> : <Outline nodes={outline} current={current} onJump={jump} />}
        </nav>
        <div className="draft-document" data-testid="draft-document">
          {outline.length === 0 ? <p className="notice" role="status">Waiting for the first section…</p> : (
            <SectionTree
              nodes={outline}
              draft={draft}
              streamed={streamed}
              commentsBySection={commentsBySection}
              abilities={abilities}
              current={current}
              onFocused={setCurrent}
              reload={reload}
              onRegenerating={onRegenerating}
              register={register}
            />
          )}
        </div>
      </div>

      <section className="draft-comments" aria-labelledby="draft-comments-title" data-testid="draft-comments">
        <h3 id="draft-comments-title">Comments on the document</h3>
        <CommentList comments={documentComments} emptyText="No comments on the document yet." />
        {can('feedback.write') && <CommentForm draftId={draft.id} label="Comment on the document" onAdded={reload} />}
      </section>
      <ShortcutsDialog ref={shortcuts} />
    </div>
  );
}
