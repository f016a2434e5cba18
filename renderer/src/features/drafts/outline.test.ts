import { describe, expect, it } from 'vitest';
import type { DraftSection, SectionStatus } from '../../../../core/contracts/index.ts';
import { buildOutline, headingLevel, percent, readingOrder, sectionDomId, totalCounts } from './outline.ts';

function section(path: string, parentPath: string | null, level: number, status: SectionStatus, container = false): DraftSection {
  return {
    path,
    parentPath,
    heading: path,
    level,
    container,
    status,
    markdown: status === 'pending' || status === 'running' || container ? null : 'text',
    modelMarkdown: null,
    workingMarkdown: null,
    revision: 1,
    provenance: { traceId: 't', spanId: null, model: null, workflowId: 'w', workflowVersion: 'v', sources: [] },
    updatedBy: null,
    updatedByName: null,
    updatedAt: null,
  };
}

// The credit memo's shape: top-level sections, a map of risk sections each with a nested workflow's sections.
const sections = [
  section('borrower_profile', null, 1, 'accepted'),
  section('financials', null, 1, 'edited'),
  section('risk_sections', null, 1, 'running', true),
  section('risk_sections[0].risk_section', 'risk_sections', 2, 'drafted', true),
  section('risk_sections[0].risk_section/analysis', 'risk_sections[0].risk_section', 3, 'drafted'),
  section('risk_sections[0].risk_section/self_check', 'risk_sections[0].risk_section', 3, 'rejected'),
  section('risk_sections[1].risk_section', 'risk_sections', 2, 'running', true),
  section('risk_sections[1].risk_section/analysis', 'risk_sections[1].risk_section', 3, 'running'),
  section('risk_sections[1].risk_section/self_check', 'risk_sections[1].risk_section', 3, 'pending'),
  section('recommendation', null, 1, 'failed'),
];

describe('buildOutline', () => {
  it('nests sections under their parents in document order', () => {
    const outline = buildOutline(sections);
    expect(outline.map((node) => node.section.path)).toEqual(['borrower_profile', 'financials', 'risk_sections', 'recommendation']);
    const risks = outline[2]!;
    expect(risks.children.map((node) => node.section.path)).toEqual(['risk_sections[0].risk_section', 'risk_sections[1].risk_section']);
    expect(risks.children[0]!.children.map((node) => node.section.path)).toEqual(['risk_sections[0].risk_section/analysis', 'risk_sections[0].risk_section/self_check']);
  });

  it('counts per container over the sections below it, never the container itself', () => {
    const outline = buildOutline(sections);
    const risks = outline[2]!;
    expect(risks.counts).toEqual({ total: 4, drafted: 2, reviewed: 0, running: 1, rejected: 1, failed: 0 });
    expect(risks.children[0]!.counts).toMatchObject({ total: 2, drafted: 2 });
    expect(risks.children[1]!.counts).toMatchObject({ total: 2, drafted: 0, running: 1 });
    expect(outline[0]!.counts).toMatchObject({ total: 1, drafted: 1, reviewed: 1 });
  });

  it('sums the whole document', () => {
    expect(totalCounts(buildOutline(sections))).toEqual({ total: 7, drafted: 4, reviewed: 2, running: 1, rejected: 1, failed: 1 });
  });

  it('keeps a section whose parent is missing at the top rather than hiding it', () => {
    const outline = buildOutline([section('orphan', 'gone', 2, 'drafted'), section('a', null, 1, 'drafted')]);
    expect(outline.map((node) => node.section.path)).toEqual(['orphan', 'a']);
  });

  it('is empty for a draft with no sections yet', () => {
    expect(buildOutline([])).toEqual([]);
    expect(totalCounts([])).toMatchObject({ total: 0, drafted: 0 });
  });
});

describe('readingOrder', () => {
  it('walks the sections with text, depth first, skipping containers', () => {
    expect(readingOrder(buildOutline(sections)).map((s) => s.path)).toEqual([
      'borrower_profile',
      'financials',
      'risk_sections[0].risk_section/analysis',
      'risk_sections[0].risk_section/self_check',
      'risk_sections[1].risk_section/analysis',
      'risk_sections[1].risk_section/self_check',
      'recommendation',
    ]);
  });
});

describe('helpers', () => {
  it('puts level-1 sections at h3, under the page h1 and the draft title h2', () => {
    expect(headingLevel(1)).toBe(3);
    expect(headingLevel(4)).toBe(6);
    expect(headingLevel(6)).toBe(8);
  });

  it('rounds progress and survives an empty document', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(0, 0)).toBe(0);
    expect(percent(4, 4)).toBe(100);
  });

  it('makes DOM ids that are valid and distinct for paths that differ only in punctuation', () => {
    const ids = ['a.b', 'a/b', 'a_b', 'a[0].b', 'a#1'].map(sectionDomId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^section-[a-z0-9_-]+$/);
  });
});
