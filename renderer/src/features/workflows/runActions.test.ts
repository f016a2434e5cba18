import { describe, expect, it } from 'vitest';
import type { Permission } from '../../../../core/contracts/index.ts';
import { rolePermissions } from '../../../../core/contracts/index.ts';
import { runActions } from './runActions.ts';

const as = (role: keyof typeof rolePermissions) => (permission: Permission) => rolePermissions[role].includes(permission);

describe('run actions', () => {
  it('offers cancel while a run is active, and resume only when no process executes a running run', () => {
    expect(runActions({ status: 'running', executing: true }, as('analyst'))).toEqual(['cancel']);
    expect(runActions({ status: 'running', executing: false }, as('analyst'))).toEqual(['cancel', 'resume']);
    expect(runActions({ status: 'waiting', executing: false }, as('analyst'))).toEqual(['cancel']);
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
});
