import type { Tokens } from 'marked';
import { lex } from './blocks.ts';
import type { DraftExportDocument, DraftExportSection } from './document.ts';
import { clampLevel, documentFacts, headerFacts, headingText, printable, sectionStatusLabel, sourceLabel } from './presentation.ts';

/**
 * The document as one Markdown file: the title, the notice as a quote, the status facts, each
 * section under a heading of its own level (`#` for level 1, `##` for level 2, …) with its body as
 * written, and the provenance appendix with a table of every section's model, trace, span and
 * sources. Headings inside a body move below their section's level so the outline stays true.
 */
export function exportMarkdown(doc: DraftExportDocument): string {
  const parts: string[] = [`# ${inline(doc.title) || 'Untitled document'}`];
  if (doc.notice) parts.push(`> **Notice:** ${inline(doc.notice)}`);
  parts.push(headerFacts(doc).map(([label, value]) => `- **${label}:** ${inline(value)}`).join('\n'));
  for (const section of doc.sections) {
    const level = clampLevel(section.level);
    parts.push(`${'#'.repeat(level)} ${inline(headingText(section))}`);
    const body = shiftHeadings(section.markdown, level).trim();
    if (body) parts.push(body);
  }
  parts.push('# Provenance appendix');
  parts.push(documentFacts(doc).map(([label, value]) => `- **${label}:** ${inline(value)}`).join('\n'));
  parts.push('## Sections');
  parts.push(doc.sections.length === 0 ? 'This document has no sections.' : provenanceTable(doc.sections));
  return `${parts.join('\n\n')}\n`;
}

/**
 * The body as written, but with its headings one level per nesting below `level`, and every code
 * block fenced and closed: an unclosed fence in one section would swallow all the sections after it.
 */
function shiftHeadings(markdown: string, level: number): string {
  return lex(markdown).map((token) => {
    if (token.type === 'heading') {
      const heading = token as Tokens.Heading;
      return `${'#'.repeat(Math.min(6, level + heading.depth))} ${heading.text.replace(/\s*\n\s*/g, ' ')}${trailingNewlines(heading.raw)}`;
    }
    if (token.type === 'code') {
      const block = token as Tokens.Code;
      const fence = '`'.repeat(Math.max(3, longestBacktickRun(block.text) + 1));
      return `${fence}${(block.lang ?? '').replace(/`/g, '')}\n${block.text}\n${fence}${trailingNewlines(block.raw)}`;
    }
    return token.raw;
  }).join('');
}

const trailingNewlines = (raw: string): string => /\n*$/.exec(raw)?.[0] || '\n';
const longestBacktickRun = (text: string): number => Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));

function provenanceTable(sections: DraftExportSection[]): string {
  const rows = sections.map((section) => {
    const { provenance } = section;
    const sources = provenance.sources.length > 0 ? provenance.sources.map((source) => inline(sourceLabel(source))).join('; ') : 'None';
    return [
      inline(headingText(section)),
      sectionStatusLabel(section.status),
      provenance.model ? code(provenance.model) : 'None',
      provenance.traceId ? code(provenance.traceId) : 'None',
      provenance.spanId ? code(provenance.spanId) : 'None',
      sources,
    ];
  });
  return [['Section', 'Status', 'Model', 'Trace', 'Span', 'Sources'], ['---', '---', '---', '---', '---', '---'], ...rows]
    .map((cells) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`)
    .join('\n');
}

/**
 * Text from a field (title, heading, label) as inline Markdown that renders as exactly that text:
 * one line, Markdown punctuation backslash-escaped, entity-like "&name;" kept literal. Pipes are
 * escaped only where they matter, in table cells.
 */
function inline(text: string): string {
  return printable(text)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_[\]<>#~]/g, '\\$&')
    .replace(/&(?=#?[a-zA-Z0-9]+;)/g, '&amp;');
}

/** A code span that holds any text: the fence is longer than the longest run of backticks inside. */
function code(text: string): string {
  const value = printable(text).replace(/\s+/g, ' ').trim();
  const fence = '`'.repeat(longestBacktickRun(value) + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}
