import type { DraftDetail, DraftSection } from '../../../../core/contracts/index.ts';

/**
 * What keeps a draft from review — the same rule `drafts.submit` and `drafts.approve` hold: the run
 * must be done writing, and every section must have text that an analyst accepted or edited.
 */
export interface ReviewReadiness {
  ready: boolean;
  /** The run is still writing sections. */
  runWriting: boolean;
  /** Sections without text: not written yet, failed, or being (re)written now. */
  missing: DraftSection[];
  /** Sections with text nobody has accepted or edited (drafted, rejected, a failed regenerate). */
  notAccepted: DraftSection[];
}

export function reviewReadiness(draft: Pick<DraftDetail, 'runStatus' | 'sections'>): ReviewReadiness {
  const texts = draft.sections.filter((section) => !section.container);
  const runWriting = draft.runStatus === 'running';
  const missing = texts.filter((section) => section.markdown === null || section.status === 'running' || section.status === 'pending');
  const notAccepted = texts.filter((section) => !missing.includes(section) && section.status !== 'accepted' && section.status !== 'edited');
  return { ready: !runWriting && missing.length === 0 && notAccepted.length === 0, runWriting, missing, notAccepted };
}

/** The run will write nothing more unless someone retries it: a section without text can only be written by hand now. */
export const runStoppedWriting = (runStatus: DraftDetail['runStatus']): boolean => runStatus === 'failed' || runStatus === 'cancelled' || runStatus === 'completed';
