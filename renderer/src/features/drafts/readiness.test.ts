import { describe, expect, it } from 'vitest';
import type { DraftSection } from '../../../../core/contracts/index.ts';
import { reviewReadiness, runStoppedWriting } from './readiness.ts';

const section = (path: string, status: DraftSection['status'], markdown: string | null = 'Text.', container = false): DraftSection => ({
  path, parentPath: null, heading: path, level: 1, container, status, markdown, modelMarkdown: markdown, workingMarkdown: null, revision: 0,
  provenance: { traceId: 't', spanId: null, model: null, workflowId: 'w', workflowVersion: 'v', sources: [] }, updatedBy: null, updatedByName: null, updatedAt: null,
});

describe('reviewReadiness', () => {
  it('is ready only when the run is done writing and every section has text an analyst accepted or edited', () => {
    expect(reviewReadiness({ runStatus: 'waiting', sections: [section('group', 'drafted', null, true), section('a', 'accepted'), section('b', 'edited')] })).toEqual({ ready: true, runWriting: false, missing: [], notAccepted: [] });
  });

  it('names failed and never-written sections as missing, and drafted, rejected and failed-with-text ones as not accepted', () => {
    const sections = [section('a', 'accepted'), section('failed', 'failed', null), section('never', 'pending', null), section('drafted', 'drafted'), section('rejected', 'rejected'), section('retry-failed', 'failed'), section('writing', 'running', 'Old text.')];
    const result = reviewReadiness({ runStatus: 'failed', sections });
    expect(result.ready).toBe(false);
    expect(result.runWriting).toBe(false);
    expect(result.missing.map((s) => s.path)).toEqual(['failed', 'never', 'writing']);
    expect(result.notAccepted.map((s) => s.path)).toEqual(['drafted', 'rejected', 'retry-failed']);
  });

  it('is not ready while the run is still writing, even with every section accepted', () => {
    expect(reviewReadiness({ runStatus: 'running', sections: [section('a', 'accepted')] })).toMatchObject({ ready: false, runWriting: true });
  });

  it('knows when the run will write nothing more', () => {
    expect(['running', 'waiting', 'completed', 'failed', 'cancelled'].filter((status) => runStoppedWriting(status as 'running'))).toEqual(['completed', 'failed', 'cancelled']);
  });
});
