import { strFromU8, unzipSync } from 'fflate';
import { Lexer } from 'marked';
import type { Token, Tokens } from 'marked';
import { extractText } from 'unpdf';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportDocx, exportMarkdown, exportPdf } from './index.ts';
import type { DraftExportDocument, DraftExportSection } from './index.ts';

const special = 'Zürich – 東京: a < b & "quoted" \'single\' <script>';
const edited = 'The analyst corrected the DSCR to 1.31x after the 2024 covenant breach.';

function section(id: string, heading: string, level: number, markdown: string, status: DraftExportSection['status'], traceId: string | null = `trace-${id}`): DraftExportSection {
  return {
    id,
    heading,
    level,
    markdown,
    status,
    provenance: { traceId, spanId: traceId ? `span-${id}` : null, model: traceId ? 'strongroom-test-model' : null, sources: traceId ? [{ kind: 'input', label: 'Borrower financials FY2024' }, { kind: 'tool', label: 'customer_lookup' }] : [] },
  };
}

const memo: DraftExportDocument = {
  id: 'draft-1',
  title: `Credit memo — ${special}`,
  workflow: { id: 'credit-memo', name: 'Credit memo', version: '2.3.1' },
  status: 'in_review',
  createdBy: 'Ana Analyst',
  createdAt: '2026-03-01T09:30:00.000Z',
  approvals: [{ by: 'Rita Reviewer', at: '2026-03-02T10:00:00.000Z' }],
  models: ['strongroom-test-model', 'bank/llama-70b'],
  sections: [
    section('summary', 'Executive summary', 1, `Acme is **well capitalised** and _growing_.\n\n${special}`, 'accepted'),
    section('financials', 'Financial analysis', 2, `${edited}\n\n| Metric | FY2023 | FY2024 |\n|:--|--:|--:|\n| DSCR | 1.18x | 1.31x |\n| Net debt & leases | 12.4m | 10.9m |\n\n1. Revenue grew\n2. Margins held\n\n### Detail\n\nHeadings in a body nest below their section.`, 'edited'),
    section('covenants', 'Covenants', 3, '- Leverage below 3.0x\n  - tested quarterly\n- Interest cover ≥ 4.0x', 'drafted'),
    section('recommendation', 'Recommendation', 1, '', 'pending', null),
  ],
  exportedBy: 'Ana Analyst',
  exportedAt: '2026-03-03T08:00:00.000Z',
  notice: 'Generated with the Strongroom test model — not a real analysis',
};

const empty: DraftExportDocument = { ...memo, id: 'draft-2', title: 'Empty KYC review', sections: [], approvals: [], models: [], notice: null };

/** Every piece of text in Markdown as a renderer would show it (escapes resolved), joined. */
function markdownText(tokens: Token[]): string {
  return tokens.map((token) => {
    if (token.type === 'table') {
      const table = token as Tokens.Table;
      return [...table.header, ...table.rows.flat()].map((cell) => markdownText(cell.tokens)).join('|');
    }
    if (token.type === 'list') return (token as Tokens.List).items.map((item) => markdownText(item.tokens)).join('\n');
    if ('tokens' in token && token.tokens) return markdownText(token.tokens);
    return 'text' in token && typeof token.text === 'string' ? token.text : '';
  }).join('');
}

/** The text of word/document.xml's runs, XML entities resolved, one paragraph a line. */
function docxText(xml: string): string {
  return Array.from(xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>|<\/w:p>/g), (match) => match[1] ?? '\n')
    .join('')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function docxParts(buffer: Buffer): Record<string, string> {
  const files = unzipSync(new Uint8Array(buffer));
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, strFromU8(bytes)]));
}

/** The PDF's text as PDF.js reads it (through unpdf's bundled build), page after page. */
async function pdfText(buffer: Buffer): Promise<string> {
  const { text } = await extractText(new Uint8Array(buffer), { mergePages: false });
  return text.join('\n');
}

describe('exportMarkdown', () => {
  const markdown = exportMarkdown(memo);
  const tokens = Lexer.lex(markdown);
  const headings = tokens.filter((token): token is Tokens.Heading => token.type === 'heading').map((token) => [token.depth, token.text]);

  it('gives each section a heading of its own level, and body headings nest below it', () => {
    expect(markdown).toMatch(/^# Executive summary$/m);
    expect(markdown).toMatch(/^## Financial analysis$/m);
    expect(markdown).toMatch(/^### Covenants$/m);
    expect(markdown).toMatch(/^# Recommendation$/m);
    expect(markdown).toMatch(/^#{5} Detail$/m);
    expect(headings.map(([depth]) => depth)).toEqual([1, 1, 2, 5, 3, 1, 1, 2]);
  });

  it('keeps bodies as written, including the table', () => {
    expect(markdown).toContain(edited);
    expect(markdown).toContain('| DSCR | 1.18x | 1.31x |');
    expect(markdown).toContain(memo.sections[2]!.markdown);
    const table = tokens.find((token): token is Tokens.Table => token.type === 'table' && (token as Tokens.Table).header[0]?.text === 'Metric');
    expect(table?.rows.map((row) => row.map((cell) => cell.text))).toEqual([['DSCR', '1.18x', '1.31x'], ['Net debt & leases', '12.4m', '10.9m']]);
  });

  it('prints the title, notice and status, and an appendix with workflow, models, approvers and every section’s provenance', () => {
    const text = markdownText(tokens);
    expect(headings[0]).toEqual([1, expect.any(String)]);
    expect(text).toContain(memo.title);
    expect(text).toContain('Notice: Generated with the Strongroom test model — not a real analysis');
    expect(text).toContain('Status: In review');
    const appendix = markdown.slice(markdown.indexOf('# Provenance appendix'));
    expect(appendix).toContain('2.3.1');
    expect(appendix).toContain('credit-memo');
    expect(appendix).toContain('Rita Reviewer (2026-03-02 10:00:00 UTC)');
    expect(appendix).toContain('bank/llama-70b');
    expect(appendix).toMatch(/\| Financial analysis \| Edited \| `strongroom-test-model` \| `trace-financials` \| `span-financials` \| Input: Borrower financials FY2024; Tool result: customer_lookup \|/);
    expect(appendix).toMatch(/\| Recommendation \| Pending \| None \| None \| None \| None \|/);
  });

  it('keeps special characters: raw in bodies, escaped so they render as typed in titles', () => {
    expect(markdown).toContain(special);
    const title = tokens[0] as Tokens.Heading;
    expect(markdownText(title.tokens)).toBe(memo.title);
  });

  it('prints text the editor saved as written, not with the editor\'s escapes, and still renders it as typed', () => {
    // What tiptap's Markdown writer saves for "Use <b>bold</b> & weem_ezet; 5 * 3; keep `a_b &amp;` and &copy; literal".
    const saved = 'Use &lt;b&gt;bold&lt;/b&gt; &amp; weem\\_ezet; 5 \\* 3; keep `a_b &amp;` and &amp;copy; literal';
    const text = exportMarkdown({ ...empty, title: 'Memo on weem_ezet & <Acme>', sections: [section('a', 'Risks of snake_case_names', 1, saved, 'edited')] });
    expect(text).toContain('Use <b>bold</b> & weem_ezet; 5 * 3; keep `a_b &amp;` and &amp;copy; literal');
    expect(text).not.toMatch(/&lt;|weem\\_/);
    expect(text).toMatch(/^# Memo on weem_ezet & \\<Acme>$/m);
    expect(text).toMatch(/^# Risks of snake_case_names$/m);
    // A renderer still shows exactly the title that was typed.
    expect(markdownText((Lexer.lex(text)[0] as Tokens.Heading).tokens)).toBe('Memo on weem_ezet & <Acme>');
    const odd = exportMarkdown({ ...empty, title: '_lead and tail_ #' });
    expect(markdownText((Lexer.lex(odd)[0] as Tokens.Heading).tokens)).toBe('_lead and tail_ #');
  });

  it('closes a code fence a body left open, so it cannot swallow the sections after it', () => {
    const unclosed = exportMarkdown({ ...empty, sections: [section('a', 'First', 1, 'Before\n\n```\nleft open', 'drafted'), section('b', 'Second', 2, 'After', 'drafted')] });
    const outline = Lexer.lex(unclosed).filter((token): token is Tokens.Heading => token.type === 'heading').map((token) => token.text);
    expect(outline).toEqual(['Empty KYC review', 'First', 'Second', 'Provenance appendix', 'Sections']);
    expect(unclosed).toContain('```\nleft open\n```');
  });

  it('exports a document with no sections', () => {
    const text = exportMarkdown(empty);
    expect(text).toMatch(/^# Empty KYC review$/m);
    expect(text).toContain('This document has no sections.');
    expect(text).toContain('Not approved');
    expect(text).not.toContain('Notice');
  });
});

describe('exportDocx', () => {
  let parts: Record<string, string>;
  let text: string;
  beforeAll(async () => {
    const buffer = await exportDocx(memo);
    expect(buffer.subarray(0, 2).toString()).toBe('PK');
    parts = docxParts(buffer);
    text = docxText(parts['word/document.xml'] ?? '');
  });

  it('is a Word package with the headings in heading styles', () => {
    expect(Object.keys(parts)).toEqual(expect.arrayContaining(['[Content_Types].xml', 'word/document.xml', 'word/styles.xml', 'word/numbering.xml']));
    const xml = parts['word/document.xml']!;
    expect(xml).toMatch(/<w:pStyle w:val="Title"\/>.*?Credit memo/);
    expect(xml).toMatch(/<w:pStyle w:val="Heading1"\/>(?:(?!<\/w:p>).)*Executive summary/);
    expect(xml).toMatch(/<w:pStyle w:val="Heading2"\/>(?:(?!<\/w:p>).)*Financial analysis/);
    expect(xml).toMatch(/<w:pStyle w:val="Heading3"\/>(?:(?!<\/w:p>).)*Covenants/);
    expect(xml).toMatch(/<w:pStyle w:val="Heading5"\/>(?:(?!<\/w:p>).)*Detail/);
  });

  it('carries the edited text, marks, lists and the table as a real table', () => {
    expect(text).toContain(edited);
    expect(parts['word/document.xml']).toMatch(/<w:b\/>(?:(?!<\/w:r>).)*well capitalised/);
    const table = Array.from(parts['word/document.xml']!.matchAll(/<w:tbl>.*?<\/w:tbl>/g), (match) => match[0]).find((xml) => xml.includes('Metric'));
    const rows = Array.from(table?.matchAll(/<w:tr>.*?<\/w:tr>/g) ?? [], (row) => Array.from(row[0].matchAll(/<w:tc>.*?<\/w:tc>/g), (cell) => docxText(cell[0]).trim()));
    expect(rows).toEqual([['Metric', 'FY2023', 'FY2024'], ['DSCR', '1.18x', '1.31x'], ['Net debt & leases', '12.4m', '10.9m']]);
    expect(text).toContain('Net debt & leases');
    expect(parts['word/numbering.xml']).toContain('w:val="decimal"');
    expect(text).toContain('Leverage below 3.0x');
  });

  it('has the notice and the provenance appendix', () => {
    expect(text).toContain('Notice: Generated with the Strongroom test model — not a real analysis');
    expect(Object.entries(parts).some(([name, xml]) => name.startsWith('word/footer') && xml.includes('not a real analysis'))).toBe(true);
    const appendix = text.slice(text.indexOf('Provenance appendix'));
    expect(appendix).toContain('2.3.1');
    expect(appendix).toContain('Rita Reviewer');
    expect(appendix).toContain('bank/llama-70b');
    expect(appendix).toContain('trace-financials');
    expect(appendix).toContain('Tool result: customer_lookup');
  });

  it('keeps special characters', () => {
    expect(text).toContain(special);
    expect(text).toContain(memo.title);
  });

  it('exports a document with no sections, and drops characters XML cannot hold', async () => {
    const xml = docxParts(await exportDocx({ ...empty, title: 'Empty\u0007 KYC review' }))['word/document.xml']!;
    expect(docxText(xml)).toContain('Empty KYC review');
    expect(docxText(xml)).toContain('This document has no sections.');
    expect(xml).not.toContain('\u0007');
  });
});

describe('exportPdf', () => {
  let buffer: Buffer;
  let text: string;
  beforeAll(async () => {
    buffer = await exportPdf(memo);
    text = await pdfText(buffer);
  });

  it('is a PDF with the title, notice, status and section text', () => {
    expect(buffer.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(text).toContain(memo.title);
    expect(text).toContain('Notice: Generated with the Strongroom test model — not a real analysis');
    expect(text).toContain('In review');
    expect(text).toContain('Executive summary');
    expect(text).toContain(edited);
    expect(text).toContain('Net debt & leases');
    expect(text).toContain('Interest cover ≥ 4.0x');
  });

  it('keeps special characters, drawing CJK with the embedded fallback font', () => {
    expect(text).toContain(special);
    expect(buffer.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansSC/);
  });

  it('has the provenance appendix', () => {
    const appendix = text.slice(text.indexOf('Provenance appendix'));
    expect(appendix).toContain('2.3.1');
    expect(appendix).toContain('Rita Reviewer');
    expect(appendix).toContain('span-financials');
    expect(appendix).toContain('Tool result: customer_lookup');
  });

  it('exports a document with no sections, without loading the CJK font it does not need', async () => {
    const pdf = await exportPdf(empty);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1')).not.toContain('NotoSansSC');
    const emptyText = await pdfText(pdf);
    expect(emptyText).toContain('Empty KYC review');
    expect(emptyText).toContain('This document has no sections.');
  });
});
