import { describe, expect, it } from 'vitest';
import { normalizeMarkdown, parseMarkdown } from './editorExtensions.ts';

describe('the section document model', () => {
  it('reads headings, lists, marks and tables from Markdown', () => {
    const doc = parseMarkdown('Some **bold** text.\n\n- one\n- two\n\n| A | B |\n|---|---|\n| 1 | 2 |');
    expect(doc.content?.map((node) => node.type)).toEqual(['paragraph', 'bulletList', 'table']);
    expect(doc.content?.[0]?.content?.[1]).toMatchObject({ text: 'bold', marks: [{ type: 'bold' }] });
  });

  it('keeps raw HTML as text, never as markup', () => {
    const doc = parseMarkdown('before <script>alert(1)</script> after');
    expect(JSON.stringify(doc)).not.toContain('"type":"script"');
    expect(doc.content?.[0]?.content?.map((node) => node.text).join('')).toContain('<script>');
  });

  it('writes Markdown the way the editor does, so re-spelt syntax compares equal', () => {
    expect(normalizeMarkdown('* one\n* two\n\n_it_')).toBe(normalizeMarkdown('- one\n- two\n\n*it*'));
    expect(normalizeMarkdown('Plain paragraph.')).toBe('Plain paragraph.');
    expect(normalizeMarkdown('Before.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\nAfter.')).not.toMatch(/\n{3}/);
  });
});
