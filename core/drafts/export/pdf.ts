import PDFDocument from 'pdfkit';
import { parseBlocks, runsText } from './blocks.ts';
import type { Align, Block, Run } from './blocks.ts';
import type { DraftExportDocument } from './document.ts';
import { PdfFonts } from './pdfFonts.ts';
import type { FontStyle } from './pdfFonts.ts';
import { clampLevel, documentFacts, documentStatusLabel, headerFacts, headingText, printable, sectionStatusLabel, sourceLabel } from './presentation.ts';

type Pdf = InstanceType<typeof PDFDocument>;

interface Box {
  x: number;
  width: number;
}

const margin = 56;
const bodySize = 10;
const headingSizes = [16, 14, 12.5, 11.5, 10.5, 10];
const colors = { text: '#000', muted: '#555', link: '#1a4f9c', notice: '#8a5a00', noticeFill: '#fff4ce', rule: '#bbb', headerFill: '#eee' };
const indentStep = 16;

/**
 * The document as an A4 PDF: title, notice (boxed under the title and in every page's footer),
 * status facts, the sections with their headings and bodies (lists, tables, quotes, code), and the
 * provenance appendix on a page of its own. Fonts are embedded Noto Sans with a CJK fallback, so
 * any text a draft holds prints as written (see pdfFonts.ts).
 */
export async function exportPdf(doc: DraftExportDocument): Promise<Buffer> {
  const pdf: Pdf = new PDFDocument({ size: 'A4', margin, bufferPages: true, info: { Title: printable(doc.title), Author: printable(doc.createdBy), Subject: printable(`${doc.workflow.name} ${doc.workflow.version}`), Creator: 'Strongroom' } });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    pdf.on('end', resolve);
    pdf.on('error', reject);
  });
  const page = new PageWriter(pdf, await PdfFonts.load(pdf, JSON.stringify(doc)));

  page.text(printable(doc.title).trim() || 'Untitled document', 'bold', { size: 20 });
  if (doc.notice) page.notice(printable(doc.notice));
  pdf.moveDown(0.5);
  page.facts(headerFacts(doc));

  for (const section of doc.sections) {
    const level = clampLevel(section.level);
    page.heading(headingText(section), level);
    page.blocks(parseBlocks(section.markdown), level, page.content);
  }

  pdf.addPage();
  page.heading('Provenance appendix', 1);
  page.facts(documentFacts(doc));
  page.heading('Sections', 2);
  if (doc.sections.length === 0) page.text('This document has no sections.', 'regular', { color: colors.muted });
  for (const section of doc.sections) {
    const { provenance } = section;
    page.keepWith(60);
    pdf.moveDown(0.4);
    page.text(headingText(section), 'bold', { x: margin + (clampLevel(section.level) - 1) * 8 });
    page.facts([
      ['Status', sectionStatusLabel(section.status)],
      ['Model', provenance.model ?? 'None'],
      ['Trace', provenance.traceId ?? 'None'],
      ['Span', provenance.spanId ?? 'None'],
      ['Sources', provenance.sources.length > 0 ? provenance.sources.map(sourceLabel).join('\n') : 'None'],
    ].map(([label, value]) => [label!, printable(value!)]), clampLevel(section.level) * 8);
  }

  page.footers(`${shorten(printable(doc.title).trim(), 70)} · ${documentStatusLabel(doc.status)}`, doc.notice ? shorten(printable(doc.notice), 120) : null);
  pdf.end();
  await done;
  return Buffer.concat(chunks);
}

/** Draws onto the pages of one document, choosing a font for every run of text. */
class PageWriter {
  readonly pdf: Pdf;
  readonly fonts: PdfFonts;
  readonly content: Box;

  constructor(pdf: Pdf, fonts: PdfFonts) {
    this.pdf = pdf;
    this.fonts = fonts;
    this.content = { x: margin, width: pdf.page.width - 2 * margin };
  }

  /** Starts a new page unless `height` points are left above the bottom margin. */
  keepWith(height: number): void {
    if (this.pdf.y > this.pdf.page.height - margin - height) this.pdf.addPage();
  }

  heading(text: string, level: number): void {
    this.keepWith(70);
    this.pdf.moveDown(level <= 2 ? 0.8 : 0.5);
    this.text(text, 'bold', { size: headingSizes[level - 1] ?? bodySize });
    this.pdf.moveDown(0.3);
  }

  /** Plain text in one style, at the content's left edge or at `x`. */
  text(text: string, style: FontStyle, options: { size?: number; color?: string; x?: number; width?: number } = {}): void {
    const x = options.x ?? this.content.x;
    const width = options.width ?? this.content.x + this.content.width - x;
    this.runs([{ text, bold: style === 'bold' || style === 'boldItalic', italic: style === 'italic' || style === 'boldItalic', strike: false, code: false, href: null }], { x, width }, options.size ?? bodySize, options.color ?? colors.text);
  }

  /** Runs with their marks, flowed as one paragraph; pdfkit's `continued` joins the pieces. */
  runs(runs: Run[], box: Box, size: number, color: string): void {
    const pieces = runs.flatMap((run) => this.fonts.segments(run.text, styleOf(run)).map((segment) => ({ ...segment, run })));
    const shown = pieces.filter((piece) => piece.text.length > 0);
    if (shown.length === 0) return;
    this.pdf.fontSize(size);
    shown.forEach((piece, index) => {
      const { run } = piece;
      this.pdf.font(piece.font).fillColor(run.href ? colors.link : run.code ? colors.muted : color);
      const options = { width: box.width, continued: index < shown.length - 1, underline: run.href !== null, strike: run.strike, link: run.href, lineGap: 2 };
      if (index === 0) this.pdf.text(piece.text, box.x, this.pdf.y, options);
      else this.pdf.text(piece.text, options);
    });
    this.pdf.x = this.content.x;
  }

  notice(text: string): void {
    this.pdf.moveDown(0.5);
    const top = this.pdf.y;
    const box = { x: this.content.x + 8, width: this.content.width - 16 };
    this.pdf.fontSize(bodySize);
    const height = this.pdf.font(this.fonts.single(text, 'bold')).heightOfString(`Notice: ${text}`, { width: box.width, lineGap: 2 }) + 12;
    this.pdf.save().rect(this.content.x, top, this.content.width, height).fillAndStroke(colors.noticeFill, colors.notice).restore();
    this.pdf.y = top + 6;
    this.runs([{ text: 'Notice: ', bold: true, italic: false, strike: false, code: false, href: null }, { text, bold: true, italic: false, strike: false, code: false, href: null }], box, bodySize, colors.notice);
    this.pdf.y = top + height;
  }

  /** Label/value lines, the label bold in a narrow column. */
  facts(rows: Array<[string, string]>, indent = 0): void {
    const labelWidth = 95;
    for (const [label, value] of rows) {
      this.keepWith(24);
      const top = this.pdf.y;
      this.text(label, 'bold', { x: margin + indent, width: labelWidth, size: 9 });
      const labelBottom = this.pdf.y;
      this.pdf.y = top;
      this.text(value, 'regular', { x: margin + indent + labelWidth + 5, size: 9 });
      this.pdf.y = Math.max(labelBottom, this.pdf.y) + 1;
    }
  }

  /** A section body; its headings sit below the section's `level`. */
  blocks(blocks: Block[], level: number, box: Box): void {
    for (const block of blocks) {
      switch (block.kind) {
        case 'heading':
          this.heading(runsText(block.runs), Math.min(6, level + block.depth));
          break;
        case 'paragraph':
          this.runs(block.runs, box, bodySize, colors.text);
          this.pdf.moveDown(0.5);
          break;
        case 'list':
          this.list(block, level, box);
          this.pdf.moveDown(0.3);
          break;
        case 'table':
          this.table(block, box);
          break;
        case 'code':
          this.text(printable(block.text), 'regular', { x: box.x + 10, width: box.width - 10, size: 9, color: colors.muted });
          this.pdf.moveDown(0.5);
          break;
        case 'quote': {
          const top = this.pdf.y;
          this.blocks(block.blocks, level, { x: box.x + 12, width: box.width - 12 });
          if (this.pdf.y > top) this.pdf.save().moveTo(box.x + 3, top).lineTo(box.x + 3, this.pdf.y - 6).lineWidth(2).stroke(colors.rule).restore();
          break;
        }
        case 'rule':
          this.pdf.save().moveTo(box.x, this.pdf.y + 4).lineTo(box.x + box.width, this.pdf.y + 4).lineWidth(0.5).stroke(colors.rule).restore();
          this.pdf.moveDown(1);
          break;
      }
    }
  }

  list(list: Extract<Block, { kind: 'list' }>, level: number, box: Box): void {
    const inner = { x: box.x + indentStep, width: box.width - indentStep };
    list.items.forEach((item, index) => {
      this.keepWith(20);
      const marker = item.checked !== null ? (item.checked ? '[x]' : '[ ]') : list.ordered ? `${list.start + index}.` : '•';
      const top = this.pdf.y;
      this.text(marker, 'regular', { x: box.x + 2, width: indentStep - 2 });
      this.pdf.y = top;
      const [first, ...rest] = item.blocks;
      if (first?.kind === 'paragraph') this.runs(first.runs, inner, bodySize, colors.text);
      else if (first) this.blocks([first], level, inner);
      this.pdf.y = Math.max(this.pdf.y, top + bodySize * 1.4);
      this.blocks(rest, level, inner);
    });
  }

  /** A Markdown table as a pdfkit table; a cell holds one font, so marks inside cells are dropped. */
  table(table: Extract<Block, { kind: 'table' }>, box: Box): void {
    const cell = (runs: Run[], header: boolean, align: Align) => {
      const text = runsText(runs);
      return { text, type: header ? ('TH' as const) : ('TD' as const), font: { src: this.fonts.single(text, header ? 'bold' : 'regular'), size: 9 }, align: { x: align ?? 'left', y: 'top' as const }, ...(header ? { backgroundColor: colors.headerFill } : {}) };
    };
    this.pdf.moveDown(0.2);
    this.pdf.table({
      position: { x: box.x, y: this.pdf.y },
      maxWidth: box.width,
      defaultStyle: { padding: 4, border: 0.5, borderColor: colors.rule },
      data: [table.header.map((runs, column) => cell(runs, true, table.align[column] ?? null)), ...table.rows.map((row) => row.map((runs, column) => cell(runs, false, table.align[column] ?? null)))],
    });
    this.pdf.x = this.content.x;
    this.pdf.moveDown(0.6);
  }

  /** Page numbers, and the notice if there is one, at the foot of every page. */
  footers(caption: string, notice: string | null): void {
    const range = this.pdf.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index++) {
      this.pdf.switchToPage(index);
      // Writing below the bottom margin would start a new page; lift the margin while we do.
      const bottom = this.pdf.page.margins.bottom;
      this.pdf.page.margins.bottom = 0;
      const y = this.pdf.page.height - margin + 14;
      if (notice) {
        this.pdf.y = y - 12;
        this.text(notice, 'bold', { size: 7.5, color: colors.notice });
      }
      this.pdf.y = y;
      this.text(`${caption} · page ${index - range.start + 1} of ${range.count}`, 'regular', { size: 7.5, color: colors.muted });
      this.pdf.page.margins.bottom = bottom;
    }
  }
}

function styleOf(run: Run): FontStyle {
  if (run.bold) return run.italic ? 'boldItalic' : 'bold';
  return run.italic ? 'italic' : 'regular';
}

/** A footer holds one line: longer text ends in an ellipsis. */
function shorten(text: string, length: number): string {
  const chars = Array.from(text.replace(/\s+/g, ' '));
  return chars.length <= length ? chars.join('') : `${chars.slice(0, length - 1).join('')}…`;
}
