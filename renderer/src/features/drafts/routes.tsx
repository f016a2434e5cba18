import { lazy, Suspense } from 'react';
import { DraftList } from './DraftList.tsx';
import { DraftsPage } from './DraftsPage.tsx';
import { NewDraft } from './NewDraft.tsx';

// The drafting view carries the rich-text editor (tiptap and ProseMirror, about a third of the
// bundle): it loads when a draft is first opened, not with the app.
const DraftView = lazy(() => import('./DraftView.tsx').then((module) => ({ default: module.DraftView })));

/** `/drafts` and its pages; mounted by App under the Drafts section. */
export const draftsRoutes = {
  element: <DraftsPage />,
  children: [
    { index: true, element: <DraftList /> },
    { path: 'new', element: <NewDraft /> },
    { path: ':draftId', element: <Suspense fallback={<p className="notice" role="status">Loading the drafting view…</p>}><DraftView /></Suspense> },
  ],
};
