import { describe, expect, it } from 'vitest';
import { hasContent, lostAnswers, typedAnswerText } from './lostAnswers.ts';
import type { TypedAnswer } from './lostAnswers.ts';

const facts: TypedAnswer = { action: 'input', value: { customerOutreach: 'declined_to_explain', otherFacts: 'TAB-B answer text.' } };
const waiting = { path: 'investigator_facts', waiting: true, answered: false };
const answeredElsewhere = { path: 'investigator_facts', waiting: false, answered: true };

describe('lostAnswers', () => {
  it('keeps what this tab typed when the other tab answered first', () => {
    const typed = new Map([['investigator_facts', facts]]);
    expect(lostAnswers(typed, new Set(), [waiting], true)).toEqual([]);
    const [lost] = lostAnswers(typed, new Set(), [answeredElsewhere], true);
    expect(lost).toMatchObject({ path: 'investigator_facts', reason: 'answered-elsewhere' });
    expect(JSON.parse(lost!.text)).toEqual(facts.value);
    expect(lost!.text).toContain('TAB-B answer text.');
  });

  it('shows nothing for an answer this page sent, nor for one it never typed into', () => {
    expect(lostAnswers(new Map([['investigator_facts', facts]]), new Set(['investigator_facts']), [answeredElsewhere], true)).toEqual([]);
    expect(lostAnswers(new Map(), new Set(), [answeredElsewhere], true)).toEqual([]);
    expect(lostAnswers(new Map([['letter', { action: 'edit', value: { text: '  ' } }]]), new Set(), [{ path: 'letter', waiting: false, answered: true }], true)).toEqual([]);
  });

  it('says so when the step stopped waiting otherwise: the run was cancelled under the form', () => {
    const typed = new Map<string, TypedAnswer>([['approval', { action: 'approve', value: { comment: 'Limits checked.' } }]]);
    expect(lostAnswers(typed, new Set(), [{ path: 'approval', waiting: true, answered: false }], false)).toEqual([{ path: 'approval', reason: 'no-longer-waiting', text: 'Limits checked.' }]);
  });
});

describe('typedAnswerText', () => {
  it('gives a comment or a text as typed, and a form as JSON', () => {
    expect(typedAnswerText({ action: 'approve', value: { comment: 'Looks right.' } })).toBe('Looks right.');
    expect(typedAnswerText({ action: 'edit', value: { text: 'Dear Harbour Foods Ltd,\n…' } })).toBe('Dear Harbour Foods Ltd,\n…');
    expect(typedAnswerText({ action: 'input', value: { a: 1 } })).toBe('{\n  "a": 1\n}');
  });
});

describe('hasContent', () => {
  it('counts text, numbers and ticked boxes, not emptied fields', () => {
    expect(hasContent({ a: '', b: null, c: [], d: false })).toBe(false);
    expect(hasContent({ a: '', nested: { b: 'x' } })).toBe(true);
    expect(hasContent({ n: 0 })).toBe(true);
    expect(hasContent([true])).toBe(true);
  });
});
