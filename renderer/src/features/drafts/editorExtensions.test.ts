import { describe, expect, it } from 'vitest';
import { comparableText, normalizeMarkdown, parseMarkdown, readableMarkdown } from './editorExtensions.ts';
import { wordDiff } from './wordDiff.ts';

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

  it('compares text as written: the diff shows no escapes the editor\'s writer adds', () => {
    const written = 'Use <b>bold</b> & weem_ezet; 5 * 3 [a]';
    // The writer escapes all of these; the diff must not show them.
    expect(normalizeMarkdown(written)).toContain('&lt;b&gt;');
    expect(comparableText(written)).toBe(written);
    const parts = wordDiff(comparableText('Tom & Jerry weem_ezet'), comparableText('Tom & Jerry <b>weem_ezet</b> & co'));
    expect(parts.map((part) => part.text).join('')).not.toMatch(/&lt;|&amp;|\\_/);
    expect(parts.filter((part) => part.kind !== 'removed').map((part) => part.text).join('')).toBe('Tom & Jerry <b>weem_ezet</b> & co');
  });

  it('leaves code as it is when it resolves escapes', () => {
    expect(readableMarkdown('a\\_b `x\\_y &amp;` c &amp;amp; \\\\')).toBe('a_b `x\\_y &amp;` c &amp; \\');
    expect(readableMarkdown('```\nkeep\\_this &lt;\n```\nbut\\_not')).toBe('```\nkeep\\_this &lt;\n```\nbut_not');
  });
});
