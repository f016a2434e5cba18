import { describe, expect, it } from 'vitest';
import { failedStepOf, failedWithin } from './readiness.ts';

describe('which section a failed run failed at', () => {
  it('reads the step from the run\'s error message, only for a failed run', () => {
    expect(failedStepOf({ status: 'failed', errorMessage: 'Step risks[1].section/draft: The model went away.' })).toBe('risks[1].section/draft');
    expect(failedStepOf({ status: 'failed', errorMessage: 'Workflow x version abc is no longer available.' })).toBeNull();
    expect(failedStepOf({ status: 'failed', errorMessage: 'Step signoff was rejected.' })).toBeNull();
    expect(failedStepOf({ status: 'waiting', errorMessage: 'Step a: old' })).toBeNull();
  });

  it('blames the section itself, a step inside it, or a step of the same sub-workflow item — never a neighbour', () => {
    expect(failedWithin('conclusion', 'conclusion', false)).toBe(true);
    expect(failedWithin('conclusion', 'conclusion#2', false)).toBe(true);
    expect(failedWithin('risks[1].section/check', 'risks[1].section/draft', false)).toBe(true);
    expect(failedWithin('risks[0].section/check', 'risks[1].section/draft', false)).toBe(false);
    expect(failedWithin('conclusion', 'conclusion_extra', false)).toBe(false);
    expect(failedWithin('years', 'years[1].analysis', true)).toBe(true);
    expect(failedWithin('risks', 'years[1].analysis', true)).toBe(false);
  });
});
