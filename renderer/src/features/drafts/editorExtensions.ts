import type { JSONContent } from '@tiptap/core';
import { TableKit } from '@tiptap/extension-table';
import { MarkdownManager } from '@tiptap/markdown';
import StarterKit from '@tiptap/starter-kit';

/**
 * The document model a section's Markdown is read into — the editor's and the read-only view's
 * alike, so what an analyst sees is exactly what they edit: StarterKit's blocks and marks (headings,
 * lists, quotes, code, links) and GitHub-style tables, which the DOCX export prints as Word tables.
 */
export const contentExtensions = [
  StarterKit.configure({
    // A link in a model's draft is text to review, not somewhere to go while editing.
    link: { openOnClick: false, autolink: false, linkOnPaste: true },
  }),
  // Resizing writes inline widths, which serve mode's CSP (style-src 'self') would refuse.
  TableKit.configure({ table: { resizable: false } }),
];

let manager: MarkdownManager | null = null;

/** A section's Markdown as the editor's document (JSON), for the read-only view. */
export function parseMarkdown(markdown: string): JSONContent {
  manager ??= new MarkdownManager({ extensions: contentExtensions });
  return manager.parse(markdown);
}

/**
 * Markdown as the editor writes it (its list markers, emphasis, table layout). Comparing two texts
 * after this shows what changed in substance, not where the editor re-spelled the model's Markdown.
 */
export function normalizeMarkdown(markdown: string): string {
  manager ??= new MarkdownManager({ extensions: contentExtensions });
  // The serialiser leaves two blank lines around tables; one is what a reader sees.
  return manager.serialize(manager.parse(markdown)).replace(/\n{3,}/g, '\n\n');
}

const entities: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&nbsp;': '\u00a0' };
/** Code blocks (fenced) and code spans: their text is literal, escapes and all. */
const codePattern = /^(`{3,}|~{3,})[^\n]*\n[\s\S]*?^\1[ \t]*$|(`+)[\s\S]*?\2/gm;

function unescapeText(text: string): string {
  return text.replace(/&(?:lt|gt|amp|quot|#39|#x27|nbsp);|\\([!-/:-@[-`{-~])/g, (match, escaped: string | undefined) => escaped ?? entities[match] ?? match);
}

/**
 * Markdown as a person reads it: the writer's escapes resolved (`&lt;b&gt;` → `<b>`, `&amp;` → `&`,
 * `weem\_ezet` → `weem_ezet`), code left as it is. For showing text (the diff), never for storing it.
 */
export function readableMarkdown(markdown: string): string {
  let out = '';
  let last = 0;
  for (const match of markdown.matchAll(codePattern)) {
    out += unescapeText(markdown.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + unescapeText(markdown.slice(last));
}

/** A section's Markdown as the diff compares it: the editor's own spelling of it, read as written. */
export function comparableText(markdown: string): string {
  return readableMarkdown(normalizeMarkdown(markdown));
}
