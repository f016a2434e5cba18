/**
 * Answers typed on this page that would vanish unsent: someone else (another tab, another person)
 * answered the step, or the run stopped taking answers, and the form unmounted. The run view
 * keeps them and shows them read-only until dismissed, as the draft editor keeps a losing edit.
 */

export type AnswerAction = 'approve' | 'edit' | 'input' | undefined;

export interface TypedAnswer {
  action: AnswerAction;
  /** What the form would send: `{ comment }` (approve), `{ text }` (edit), the form's value (input). */
  value: unknown;
}

/** The step as the run view last read it. */
export interface StepNow {
  path: string;
  waiting: boolean;
  /** Someone's answer is recorded on it (its output names who answered). */
  answered: boolean;
}

export interface LostAnswer {
  path: string;
  /** Why the form went away: the step was answered elsewhere, or it stopped waiting otherwise (the run was cancelled, failed, ended). */
  reason: 'answered-elsewhere' | 'no-longer-waiting';
  /** What the person typed, to read and copy. */
  text: string;
}

/** Whether anything was typed: an emptied field, or a form left as it started, is nothing to keep. */
export function hasContent(value: unknown): boolean {
  if (typeof value === 'string') return value.trim() !== '';
  if (typeof value === 'number') return true;
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.some(hasContent);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasContent);
  return false;
}

/** The typed answer as text a person reads and copies: the comment or the text as typed, a form as JSON. */
export function typedAnswerText({ action, value }: TypedAnswer): string {
  const fields = value !== null && typeof value === 'object' ? (value as { comment?: unknown; text?: unknown }) : {};
  if (action === 'approve' && typeof fields.comment === 'string') return fields.comment;
  if (action === 'edit' && typeof fields.text === 'string') return fields.text;
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/**
 * The answers to show as lost: typed here, with something in them, not sent from here (a send that
 * failed, e.g. because the other tab won, counts as not sent), and no longer answerable here —
 * the step stopped waiting, or the run stopped taking answers.
 */
export function lostAnswers(typed: ReadonlyMap<string, TypedAnswer>, sentHere: ReadonlySet<string>, steps: readonly StepNow[], runTakesAnswers: boolean): LostAnswer[] {
  const byPath = new Map(steps.map((step) => [step.path, step]));
  const lost: LostAnswer[] = [];
  for (const [path, answer] of typed) {
    if (sentHere.has(path) || !hasContent(answer.value)) continue;
    const step = byPath.get(path);
    if (step?.waiting && runTakesAnswers) continue;
    lost.push({ path, reason: step?.answered ? 'answered-elsewhere' : 'no-longer-waiting', text: typedAnswerText(answer) });
  }
  return lost;
}
