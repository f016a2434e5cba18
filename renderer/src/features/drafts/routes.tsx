import { DraftList } from './DraftList.tsx';
import { DraftsPage } from './DraftsPage.tsx';
import { DraftView } from './DraftView.tsx';
import { NewDraft } from './NewDraft.tsx';

/** `/drafts` and its pages; mounted by App under the Drafts section. */
export const draftsRoutes = {
  element: <DraftsPage />,
  children: [
    { index: true, element: <DraftList /> },
    { path: 'new', element: <NewDraft /> },
    { path: ':draftId', element: <DraftView /> },
  ],
};
