import type { DraftSection, DraftSummary } from '../contracts/index.ts';
import { draftReadiness } from '../contracts/index.ts';

export { runStoppedWriting } from '../contracts/index.ts';

type RunStatus = DraftSummary['runStatus'];

/**
 * The step a failed run failed at, from the message the engine records ("Step <path>: …"), or
 * null when the run did not fail or did not name a step.
 */
export function failedStepOf(run: { status: RunStatus; errorMessage: string | null }): string | null {
  if (run.status !== 'failed' || !run.errorMessage) return null;
  return /^Step ([a-z0-9_.[\]/#-]+): /i.exec(run.errorMessage)?.[1] ?? null;
}

/**
 * Whether the failure at `failedStep` is this section's (or, for a grouping heading, inside it): the
 * section's own step, a step inside it (an agent's turns, a map's items, a sub-workflow's steps), or
 * — for a section a sub-workflow produces — another step of that same sub-workflow, which the
 * section depended on.
 */
export function failedWithin(path: string, failedStep: string, container: boolean): boolean {
  if (failedStep === path) return true;
  if (failedStep.startsWith(path) && /^[[./#]/.test(failedStep.slice(path.length))) return true;
  if (container) return false;
  const slash = path.lastIndexOf('/');
  return slash > 0 && failedStep.startsWith(path.slice(0, slash + 1));
}

type SectionFacts = Pick<DraftSection, 'path' | 'heading' | 'container' | 'status' | 'markdown'>;

const named = (sections: readonly SectionFacts[]): string => {
  const shown = sections.slice(0, 5).map((s) => `"${s.heading}"`).join(', ');
  return sections.length > 5 ? `${shown} and ${sections.length - 5} more` : shown;
};
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Refuses review or approval of a draft that is not finished: the run still writing, a section
 * without text, a section the analyst has not accepted or edited. Null when the draft is ready.
 */
export function readiness(runStatus: RunStatus, sections: readonly SectionFacts[], action: 'review' | 'approve'): { message: string; details: Record<string, unknown> } | null {
  const { ready, runWriting, missing, notAccepted } = draftReadiness(runStatus, sections);
  if (ready) return null;
  const reasons: string[] = [];
  if (runWriting) reasons.push('its run is still writing it');
  if (missing.length > 0) reasons.push(`${count(missing.length, 'section has', 'sections have')} no text (${named(missing)})`);
  if (notAccepted.length > 0) reasons.push(`${count(notAccepted.length, 'section is', 'sections are')} not accepted (${named(notAccepted)})`);
  const what = action === 'review' ? 'sent for review' : 'approved';
  return {
    message: `The draft cannot be ${what} yet: ${reasons.join('; ')}. Every section needs text that an analyst has accepted or edited.`,
    details: { runStatus, missing: missing.map((s) => s.path).slice(0, 50), notAccepted: notAccepted.map((s) => s.path).slice(0, 50) },
  };
}
