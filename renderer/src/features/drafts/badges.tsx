import type { ReactNode } from 'react';
import type { DraftStatus, SectionStatus } from '../../../../core/contracts/index.ts';
import { headingLevel } from './outline.ts';

const sectionStatusLabels: Record<SectionStatus, string> = {
  pending: 'Pending',
  running: 'Writing…',
  drafted: 'Drafted',
  accepted: 'Accepted',
  edited: 'Edited',
  rejected: 'Rejected',
  failed: 'Failed',
};

const draftStatusLabels: Record<DraftStatus, string> = {
  draft: 'Draft',
  in_review: 'In review',
  approved: 'Approved',
};

/** A section's status in words (the colour only repeats it). */
export function SectionStatusBadge({ status }: { status: SectionStatus }) {
  return <span className={`badge section-status section-status-${status}`} data-testid="section-status">{sectionStatusLabels[status]}</span>;
}

export function sectionStatusLabel(status: SectionStatus): string {
  return sectionStatusLabels[status];
}

export function DraftStatusBadge({ status }: { status: DraftStatus }) {
  return <span className={`badge draft-status draft-status-${status}`} data-testid="draft-status">{draftStatusLabels[status]}</span>;
}

export function draftStatusLabel(status: DraftStatus): string {
  return draftStatusLabels[status];
}


/**
 * A section's heading at its depth in the document (a level-1 section is an h3 under the page's
 * h1 and the draft's h2); past h6 the level goes to ARIA, which has no such limit.
 */
export function SectionHeading({ level, id, children }: { level: number; id: string; children: ReactNode }) {
  const depth = headingLevel(level);
  const className = `section-heading section-heading-${Math.min(level, 6)}`;
  switch (depth) {
    case 3: return <h3 id={id} className={className}>{children}</h3>;
    case 4: return <h4 id={id} className={className}>{children}</h4>;
    case 5: return <h5 id={id} className={className}>{children}</h5>;
    case 6: return <h6 id={id} className={className}>{children}</h6>;
    default: return <div role="heading" aria-level={depth} id={id} className={className}>{children}</div>;
  }
}
