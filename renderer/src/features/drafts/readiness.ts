import type { DraftDetail, DraftSection } from '../../../../core/contracts/index.ts';
import { draftReadiness } from '../../../../core/contracts/index.ts';

export { runStoppedWriting } from '../../../../core/contracts/index.ts';

/** What keeps a draft from review: the contract's rule (`draftReadiness`), which `drafts.submit` and `drafts.approve` hold. */
export type ReviewReadiness = ReturnType<typeof draftReadiness<DraftSection>>;

export function reviewReadiness(draft: Pick<DraftDetail, 'runStatus' | 'sections'>): ReviewReadiness {
  return draftReadiness(draft.runStatus, draft.sections);
}
