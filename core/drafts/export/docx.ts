import { AlignmentType, BorderStyle, Document, ExternalHyperlink, Footer, HeadingLevel, LevelFormat, Packer, PageNumber, Paragraph, ShadingType, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import type { ILevelsOptions, NumberingDefinition, ParagraphChild } from 'docx';
import { parseBlocks } from './blocks.ts';
import type { Align, Block, Run } from './blocks.ts';
import type { DraftExportDocument, DraftExportSection } from './document.ts';
import { clampLevel, documentFacts, documentStatusLabel, headerFacts, headingText, printable, sectionStatusLabel, sourceLabel } from './presentation.ts';

type Body = Array<Paragraph | Table>;

const headingLevels = [HeadingLevel.HEADING_1, HeadingLevel.HEADING_2, HeadingLevel.HEADING_3, HeadingLevel.HEADING_4, HeadingLevel.HEADING_5, HeadingLevel.HEADING_6] as const;
const alignments = { left: AlignmentType.LEFT, center: AlignmentType.CENTER, right: AlignmentType.RIGHT } as const;
const noticeColor = '8A5A00';
const mutedColor = '555555';
const codeFont = 'Consolas';
const heading = (level: number) => headingLevels[clampLevel(level) - 1]!;
const headingStyle = (size: number) => ({ run: { size, bold: true, color: '1F3864' }, paragraph: { spacing: { before: 240, after: 80 }, keepNext: true } });
// Calibri 11 pt with space after each paragraph, as Word's own default; headings in one colour.
const styles = {
  default: {
    document: { run: { font: 'Calibri', size: 22 }, paragraph: { spacing: { after: 120 } } },
    title: { run: { font: 'Calibri', size: 48 }, paragraph: { spacing: { after: 200 } } },
    heading1: headingStyle(32),
    heading2: headingStyle(28),
    heading3: headingStyle(25),
    heading4: headingStyle(23),
    heading5: headingStyle(22),
    heading6: headingStyle(22),
  },
};

/**
 * The document as a Word file built with `docx`: Title and Heading 1–6 styles (so Word's
 * navigation pane shows the outline), real lists and tables, the notice shaded under the title and
 * in the footer, and a provenance appendix with a table of every section's model, trace, span and
 * sources.
 */
export async function exportDocx(doc: DraftExportDocument): Promise<Buffer> {
  const lists = new OrderedLists();
  const body: Body = [new Paragraph({ heading: HeadingLevel.TITLE, children: [new TextRun(printable(doc.title).trim() || 'Untitled document')] })];
  if (doc.notice) body.push(notice(printable(doc.notice)));
  body.push(factsTable(headerFacts(doc)));

  for (const section of doc.sections) {
    const level = clampLevel(section.level);
    body.push(new Paragraph({ heading: heading(level), children: [new TextRun(headingText(section))] }));
    body.push(...blocks(parseBlocks(section.markdown), level, 0, lists));
  }

  body.push(new Paragraph({ heading: HeadingLevel.HEADING_1, pageBreakBefore: true, children: [new TextRun('Provenance appendix')] }));
  body.push(factsTable(documentFacts(doc)));
  body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, children: [new TextRun('Sections')] }));
  body.push(doc.sections.length === 0 ? new Paragraph('This document has no sections.') : provenanceTable(doc.sections));

  const caption = `${printable(doc.title).trim()} · ${documentStatusLabel(doc.status)} · page `;
  const footer = [new Paragraph({ children: [new TextRun({ children: [caption, PageNumber.CURRENT, ' of ', PageNumber.TOTAL_PAGES], size: 16, color: mutedColor })] })];
  if (doc.notice) footer.unshift(new Paragraph({ children: [new TextRun({ text: printable(doc.notice), bold: true, size: 16, color: noticeColor })] }));
  const document = new Document({
    creator: printable(doc.createdBy),
    title: printable(doc.title),
    subject: printable(`${doc.workflow.name} ${doc.workflow.version}`),
    description: `Exported from Strongroom by ${printable(doc.exportedBy)}`,
    styles,
    numbering: { config: lists.definitions },
    sections: [{ footers: { default: new Footer({ children: footer }) }, children: body }],
  });
  return Packer.toBuffer(document);
}

/** Each numbered list gets a numbering definition of its own, so it starts at its own number. */
class OrderedLists {
  readonly definitions: NumberingDefinition[] = [];

  add(start: number, depth: number): string {
    const reference = `ordered-${this.definitions.length + 1}`;
    const levels: ILevelsOptions[] = Array.from({ length: 9 }, (_, level) => ({
      level,
      format: LevelFormat.DECIMAL,
      text: `%${level + 1}.`,
      alignment: AlignmentType.START,
      start: level === depth ? start : 1,
      style: { paragraph: { indent: { left: 720 * (level + 1), hanging: 360 } } },
    }));
    this.definitions.push({ reference, levels });
    return reference;
  }
}

function blocks(list: Block[], level: number, depth: number, lists: OrderedLists): Body {
  const indent = depth > 0 ? { left: 720 * depth } : undefined;
  return list.flatMap((block): Body => {
    switch (block.kind) {
      case 'heading':
        return [new Paragraph({ heading: heading(level + block.depth), children: runs(block.runs) })];
      case 'paragraph':
        return [new Paragraph({ indent, children: runs(block.runs) })];
      case 'list':
        return listBlocks(block, level, depth, lists);
      case 'table':
        return [markdownTable(block), new Paragraph({ indent, children: [] })];
      case 'code':
        return block.text.split('\n').map((line) => new Paragraph({ indent: { left: 720 * depth + 360 }, spacing: { after: 0 }, children: [new TextRun({ text: printable(line), font: codeFont, size: 18 })] }));
      case 'quote':
        return blocks(block.blocks, level, depth + 1, lists);
      case 'rule':
        return [new Paragraph({ border: { bottom: { style: BorderStyle.SINGLE, size: 6, color: 'BBBBBB', space: 1 } }, children: [] })];
    }
  });
}

function listBlocks(list: Extract<Block, { kind: 'list' }>, level: number, depth: number, lists: OrderedLists): Body {
  const reference = list.ordered ? lists.add(list.start, depth) : null;
  const listLevel = Math.min(depth, 8);
  return list.items.flatMap((item): Body => {
    const [first, ...rest] = item.blocks;
    const marker = item.checked === null ? [] : [new TextRun(item.checked ? '☑ ' : '☐ ')];
    const numbering = reference ? { numbering: { reference, level: listLevel } } : { bullet: { level: listLevel } };
    const lead = new Paragraph({ ...numbering, children: [...marker, ...(first?.kind === 'paragraph' ? runs(first.runs) : [])] });
    const remaining = first?.kind === 'paragraph' ? rest : item.blocks;
    return [lead, ...blocks(remaining, level, depth + 1, lists)];
  });
}

/** Marked runs as Word runs: bold, italics, strike, code in a monospaced font, links as hyperlinks. */
function runs(list: Run[]): ParagraphChild[] {
  return list.map((run): ParagraphChild => {
    const properties = { bold: run.bold, italics: run.italic, strike: run.strike, ...(run.code ? { font: codeFont } : {}) };
    if (run.text === '\n') return new TextRun({ break: 1 });
    if (run.href) return new ExternalHyperlink({ link: run.href, children: [new TextRun({ ...properties, text: run.text, style: 'Hyperlink' })] });
    return new TextRun({ ...properties, text: run.text });
  });
}

function markdownTable(table: Extract<Block, { kind: 'table' }>): Table {
  const row = (cells: Run[][], header: boolean) => new TableRow({
    tableHeader: header,
    children: cells.map((cell, column) => new TableCell({
      ...(header ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'EEEEEE' } } : {}),
      children: [new Paragraph({ alignment: alignmentOf(table.align[column] ?? null), children: runs(header ? cell.map((run) => ({ ...run, bold: true })) : cell) })],
    })),
  });
  return new Table({ width: { size: 100, type: WidthType.PERCENTAGE }, rows: [row(table.header, true), ...table.rows.map((cells) => row(cells, false))] });
}

const alignmentOf = (align: Align) => (align ? alignments[align] : AlignmentType.LEFT);

function notice(text: string): Paragraph {
  const border = { style: BorderStyle.SINGLE, size: 8, color: noticeColor, space: 4 };
  return new Paragraph({
    shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'FFF4CE' },
    border: { top: border, bottom: border, left: border, right: border },
    spacing: { before: 120, after: 240 },
    children: [new TextRun({ text: 'Notice: ', bold: true, color: noticeColor }), new TextRun({ text, bold: true, color: noticeColor })],
  });
}

function plainTable(header: string[] | null, rows: string[][], widths: number[]): Table {
  const row = (cells: string[], bold: boolean) => new TableRow({
    tableHeader: bold && header !== null,
    children: cells.map((cell, column) => new TableCell({
      width: { size: widths[column]!, type: WidthType.PERCENTAGE },
      ...(bold && header !== null ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'EEEEEE' } } : {}),
      children: cell.split('\n').map((line) => new Paragraph({ spacing: { after: 0 }, children: [new TextRun({ text: line, bold: bold || (header === null && column === 0), size: 18 })] })),
    })),
  });
  return new Table({ width: { size: 100, type: WidthType.PERCENTAGE }, rows: [...(header ? [row(header, true)] : []), ...rows.map((cells) => row(cells, false))] });
}

const factsTable = (facts: Array<[string, string]>) => plainTable(null, facts.map(([label, value]) => [label, value]), [25, 75]);

function provenanceTable(sections: DraftExportSection[]): Table {
  return plainTable(['Section', 'Status', 'Model', 'Trace / span', 'Sources'], sections.map((section) => {
    const { provenance } = section;
    return [
      `${'  '.repeat(clampLevel(section.level) - 1)}${headingText(section)}`,
      sectionStatusLabel(section.status),
      printable(provenance.model ?? 'None'),
      printable(`${provenance.traceId ?? 'no trace'}\n${provenance.spanId ?? 'no span'}`),
      provenance.sources.length > 0 ? provenance.sources.map((source) => printable(sourceLabel(source))).join('\n') : 'None',
    ];
  }), [24, 11, 18, 22, 25]);
}
