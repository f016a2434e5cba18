import { describe, expect, it } from 'vitest';
import type { Permission } from '../../../../core/contracts/index.ts';
import { rolePermissions } from '../../../../core/contracts/index.ts';
import { cancelledNote, runActions, shownStatus, takesAnswers } from './runActions.ts';

const as = (role: keyof typeof rolePermissions) => (permission: Permission) => rolePermissions[role].includes(permission);

describe('run actions', () => {
  it('offers cancel while a run is active, and resume only when no process executes a running run', () => {
    expect(runActions({ status: 'running', executing: true }, as('analyst'))).toEqual(['cancel']);
    expect(runActions({ status: 'running', executing: false }, as('analyst'))).toEqual(['cancel', 'resume']);
    expect(runActions({ status: 'waiting', executing: false }, as('analyst'))).toEqual(['cancel']);
  });

  it('shows a running run that no process executes as interrupted, on its page as in the list', () => {
    expect(shownStatus({ status: 'running', executing: false })).toBe('interrupted');
    expect(shownStatus({ status: 'running', executing: true })).toBe('running');
    expect(shownStatus({ status: 'waiting', executing: false })).toBe('waiting');
    expect(shownStatus({ status: 'completed', executing: false })).toBe('completed');
  });

  it('offers retry for a failed run and replay for every finished one', () => {
    expect(runActions({ status: 'failed', executing: false }, as('builder'))).toEqual(['retry', 'replay']);
    expect(runActions({ status: 'completed', executing: false }, as('builder'))).toEqual(['replay']);
    expect(runActions({ status: 'cancelled', executing: false }, as('builder'))).toEqual(['replay']);
  });

  it('offers nothing that starts work to a role without runs.start, and nothing at all to one that may not cancel', () => {
    expect(runActions({ status: 'running', executing: false }, as('reviewer'))).toEqual([]);
    expect(runActions({ status: 'failed', executing: false }, as('reviewer'))).toEqual([]);
    expect(runActions({ status: 'waiting', executing: false }, as('auditor'))).toEqual([]);
  });

  it('offers answers to waiting steps only while the run takes them: not once it is cancelled, failed or completed, never in a replay', () => {
    expect(takesAnswers({ status: 'waiting', replayOf: null })).toBe(true);
    expect(takesAnswers({ status: 'running', replayOf: null })).toBe(true);
    for (const status of ['cancelled', 'failed', 'completed'] as const) expect(takesAnswers({ status, replayOf: null })).toBe(false);
    // A replay asks nobody, even one an earlier version left waiting.
    expect(takesAnswers({ status: 'waiting', replayOf: 'b1f0c4a2-0000-4000-8000-000000000000' })).toBe(false);
  });

  it('says a cancelled run was cancelled, by whom and when, as a state rather than an error', () => {
    const at = '2025-05-02T10:15:00.000Z';
    expect(cancelledNote({ status: 'cancelled', errorMessage: 'Cancelled by analyst-1.', updatedAt: at }, (iso) => `[${iso}]`)).toBe(`Cancelled by analyst-1 at [${at}].`);
    expect(cancelledNote({ status: 'cancelled', errorMessage: 'The run was cancelled.', updatedAt: at }, (iso) => `[${iso}]`)).toBe(`The run was cancelled at [${at}].`);
    expect(cancelledNote({ status: 'failed', errorMessage: 'Step x: boom', updatedAt: at })).toBeNull();
  });
});
