// A section body, parsed once by marked's lexer into the few blocks and runs that DOCX and PDF can
// both draw. Everything the drafting editor can produce maps to one of them; anything else (raw
// HTML, images, extensions) degrades to its literal text rather than vanishing.
import { Lexer } from 'marked';
import type { Token, Tokens } from 'marked';
import { printable } from './presentation.ts';

/** A stretch of text with one set of marks. A hard line break is a run whose text is "\n". */
export interface Run {
  text: string;
  bold: boolean;
  italic: boolean;
  strike: boolean;
  code: boolean;
  href: string | null;
}

export type Align = 'left' | 'center' | 'right' | null;

/** One block of a section body; `depth` of a heading is relative to the section (1 = just below it). */
export type Block =
  | { kind: 'paragraph'; runs: Run[] }
  | { kind: 'heading'; depth: number; runs: Run[] }
  | { kind: 'list'; ordered: boolean; start: number; items: ListItem[] }
  | { kind: 'table'; align: Align[]; header: Run[][]; rows: Run[][][] }
  | { kind: 'code'; text: string }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'rule' };

export interface ListItem {
  /** null for an ordinary item, true/false for a GFM task item. */
  checked: boolean | null;
  blocks: Block[];
}

type Marks = Omit<Run, 'text'>;
const plain: Marks = { bold: false, italic: false, strike: false, code: false, href: null };

/** The blocks of a Markdown section body (GitHub-flavoured: pipe tables, strikethrough, task lists). */
export function parseBlocks(markdown: string): Block[] {
  return blocksOf(lex(markdown));
}

/** marked's top-level tokens; their `raw` strings concatenate back to the source. */
export function lex(markdown: string): Token[] {
  return Lexer.lex(printable(markdown), { gfm: true, breaks: false });
}

/** The text of runs without marks, for places that can hold only one font or style. */
export const runsText = (runs: Run[]): string => runs.map((run) => run.text).join('');

function blocksOf(tokens: Token[]): Block[] {
  const blocks: Block[] = [];
  for (const token of tokens) {
    const block = blockOf(token);
    if (block) blocks.push(block);
  }
  return blocks;
}

function blockOf(token: Token): Block | null {
  switch (token.type) {
    case 'space':
    case 'def':
      return null;
    case 'heading': {
      const heading = token as Tokens.Heading;
      return { kind: 'heading', depth: heading.depth, runs: runsOf(heading.tokens, plain) };
    }
    case 'paragraph':
      return { kind: 'paragraph', runs: runsOf((token as Tokens.Paragraph).tokens, plain) };
    case 'text': {
      // A tight list item's body arrives as a block-level text token with inline children.
      const text = token as Tokens.Text;
      return { kind: 'paragraph', runs: text.tokens ? runsOf(text.tokens, plain) : textRuns(text.text, plain) };
    }
    case 'list': {
      const list = token as Tokens.List;
      const start = typeof list.start === 'number' ? list.start : 1;
      return { kind: 'list', ordered: list.ordered, start, items: list.items.map((item) => ({ checked: item.task ? Boolean(item.checked) : null, blocks: blocksOf(item.tokens.filter((child) => child.type !== 'checkbox')) })) };
    }
    case 'table': {
      const table = token as Tokens.Table;
      return { kind: 'table', align: table.align, header: table.header.map((cell) => runsOf(cell.tokens, plain)), rows: table.rows.map((row) => row.map((cell) => runsOf(cell.tokens, plain))) };
    }
    case 'code':
      return { kind: 'code', text: (token as Tokens.Code).text };
    case 'blockquote':
      return { kind: 'quote', blocks: blocksOf((token as Tokens.Blockquote).tokens) };
    case 'hr':
      return { kind: 'rule' };
    case 'html': {
      // Raw HTML is not interpreted: an analyst who typed "<b>" meant those characters.
      const text = (token as Tokens.HTML).text.trim();
      return text ? { kind: 'paragraph', runs: textRuns(text, plain) } : null;
    }
    default: {
      const text = 'text' in token && typeof token.text === 'string' ? token.text : token.raw;
      return text.trim() ? { kind: 'paragraph', runs: textRuns(text.trim(), plain) } : null;
    }
  }
}

function runsOf(tokens: Token[] | undefined, marks: Marks): Run[] {
  const runs: Run[] = [];
  for (const token of tokens ?? []) runs.push(...inlineRuns(token, marks));
  return merge(runs);
}

function inlineRuns(token: Token, marks: Marks): Run[] {
  switch (token.type) {
    case 'strong':
      return runsOf((token as Tokens.Strong).tokens, { ...marks, bold: true });
    case 'em':
      return runsOf((token as Tokens.Em).tokens, { ...marks, italic: true });
    case 'del':
      return runsOf((token as Tokens.Del).tokens, { ...marks, strike: true });
    case 'link': {
      // Only absolute URLs become links: Word rejects a file whose hyperlink target is not a URI.
      const link = token as Tokens.Link;
      return runsOf(link.tokens, { ...marks, href: URL.canParse(link.href) ? link.href : marks.href });
    }
    case 'codespan':
      return [{ ...marks, code: true, text: (token as Tokens.Codespan).text }];
    case 'br':
      return [{ ...marks, text: '\n' }];
    case 'image': {
      const image = token as Tokens.Image;
      return textRuns(`[image: ${image.text || image.href}]`, marks);
    }
    case 'escape':
      return [{ ...marks, text: (token as Tokens.Escape).text }];
    case 'html':
      return [{ ...marks, text: (token as Tokens.Tag).text }];
    case 'text': {
      const text = token as Tokens.Text;
      return text.tokens ? runsOf(text.tokens, marks) : textRuns(text.text, marks);
    }
    default:
      return textRuns('text' in token && typeof token.text === 'string' ? token.text : token.raw, marks);
  }
}

/** Soft line breaks join lines with a space, as every Markdown renderer does. */
function textRuns(text: string, marks: Marks): Run[] {
  const joined = decodeEntities(text).replace(/[ \t]*\n[ \t]*/g, ' ');
  return joined ? [{ ...marks, text: joined }] : [];
}

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0' };

/**
 * marked leaves entity references in text tokens for its HTML renderer to pass through; DOCX and
 * PDF print text, so "&amp;" must become "&" here. Unknown names stay as typed.
 */
function decodeEntities(text: string): string {
  return text.replace(/&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (match, body: string) => {
    if (body.startsWith('#')) {
      const codePoint = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      return codePoint > 0 && codePoint <= 0x10ffff && (codePoint < 0xd800 || codePoint > 0xdfff) ? printable(String.fromCodePoint(codePoint)) : match;
    }
    return namedEntities[body] ?? match;
  });
}

function merge(runs: Run[]): Run[] {
  const merged: Run[] = [];
  for (const run of runs) {
    const last = merged.at(-1);
    if (last && run.text !== '\n' && last.text !== '\n' && sameMarks(last, run)) last.text += run.text;
    else merged.push({ ...run });
  }
  return merged;
}

const sameMarks = (a: Marks, b: Marks): boolean => a.bold === b.bold && a.italic === b.italic && a.strike === b.strike && a.code === b.code && a.href === b.href;
