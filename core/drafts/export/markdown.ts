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
      return `${'#'.repeat(Math.min(6, level + heading.depth))} ${readable(heading.text.replace(/\s*\n\s*/g, ' '))}${trailingNewlines(heading.raw)}`;
    }
    if (token.type === 'code') {
      const block = token as Tokens.Code;
      const fence = '`'.repeat(Math.max(3, longestBacktickRun(block.text) + 1));
      return `${fence}${(block.lang ?? '').replace(/`/g, '')}\n${block.text}\n${fence}${trailingNewlines(block.raw)}`;
    }
    return token.type === 'html' ? token.raw : readable(token.raw);
  }).join('');
}

const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };

/**
 * A body's text as a person wrote it. The editor's Markdown writer (tiptap) escapes what it need
 * not: `<b>` becomes `&lt;b&gt;`, `&` becomes `&amp;`, `weem_ezet` becomes `weem\_ezet`, `5 * 3`
 * becomes `5 \* 3` — right for a Markdown renderer, wrong for the person reading the file. Those
 * entities are decoded (an `&amp;` that keeps an entity-like "&name;" literal stays) and the
 * escapes Markdown does not need are dropped; code spans stay as they are.
 */
function readable(raw: string): string {
  return raw.split(/((?<!`)(`+)(?!`)[\s\S]*?(?<!`)\2(?!`))/).map((part, index) => {
    // split() returns text, a code span, its backtick run (the inner capture), text, …: keep the span as it is, drop the run.
    if (index % 3 !== 0) return index % 3 === 1 ? part : '';
    return part
      .replace(/&(?:lt|gt|quot|#39|#x27);|&amp;(?!#?[a-zA-Z0-9]+;)/g, (entity) => entities[entity] ?? entity)
      // An underscore inside a word never starts emphasis; a lone * or _ between spaces neither.
      .replace(/(?<=[\p{L}\p{N}])\\_(?=[\p{L}\p{N}])/gu, '_')
      .replace(/(?<=\S[ \t])\\([*_])(?=[ \t])/g, '$1');
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
 * Text from a field (title, heading, label) as inline Markdown that renders as exactly that text
 * and still reads as written: one line; backslash, backtick, asterisk, brackets and tilde escaped;
 * an underscore only where it could start or end emphasis (not inside a word: `customer_lookup`);
 * `<` only where it could open a tag; a trailing run of `#` (a heading's closing sequence);
 * entity-like "&name;" kept literal. Pipes are escaped only where they matter, in table cells.
 */
function inline(text: string): string {
  return printable(text)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*[\]~]/g, '\\$&')
    .replace(/_/g, (underscore, offset: number, whole: string) => (/[\p{L}\p{N}]/u.test(whole[offset - 1] ?? '') && /[\p{L}\p{N}]/u.test(whole[offset + 1] ?? '') ? underscore : '\\_'))
    .replace(/<(?=[a-zA-Z/!?])/g, '\\<')
    .replace(/(^|\s)(#+)$/, '$1\\$2')
    .replace(/&(?=#?[a-zA-Z0-9]+;)/g, '&amp;');
}

/** A code span that holds any text: the fence is longer than the longest run of backticks inside. */
function code(text: string): string {
  const value = printable(text).replace(/\s+/g, ' ').trim();
  const fence = '`'.repeat(longestBacktickRun(value) + 1);
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}
