// Fonts for the PDF export. pdfkit's built-in Helvetica speaks only Windows-1252, so "東京" or
// "≥" in a draft would print as garbage. We embed Noto Sans (Latin, Greek, Cyrillic, with real
// italics) and fall back to Noto Sans SC for what it lacks (Han, kana, arrows, math symbols).
// pdfkit has no font fallback of its own, so text is cut into runs by which font has the glyph.
// Both come from npm packages, so an air-gapped install has them; pdfkit embeds only the glyphs used.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { create } from 'fontkit';
import type { Font } from 'fontkit';
import type PDFDocument from 'pdfkit';

type Pdf = InstanceType<typeof PDFDocument>;

/** The style of a run of text; the fallback font has no italics and stands upright. */
export type FontStyle = 'regular' | 'bold' | 'italic' | 'boldItalic';

/** A stretch of text and the registered pdfkit font name that draws it. */
export interface FontSegment {
  font: string;
  text: string;
}

const primaryFiles: Record<FontStyle, string> = {
  regular: '@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf',
  italic: '@expo-google-fonts/noto-sans/400Regular_Italic/NotoSans_400Regular_Italic.ttf',
  boldItalic: '@expo-google-fonts/noto-sans/700Bold_Italic/NotoSans_700Bold_Italic.ttf',
};
const fallbackFiles = {
  regular: '@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf',
  bold: '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf',
};
const styles: FontStyle[] = ['regular', 'bold', 'italic', 'boldItalic'];
const isBold = (style: FontStyle) => style === 'bold' || style === 'boldItalic';
const resolve = createRequire(import.meta.url).resolve;

interface Face {
  name: string;
  font: Font;
}

/** The fonts registered with one PDF document, and the choice of font for each character. */
export class PdfFonts {
  readonly #primary: Record<FontStyle, Face>;
  readonly #fallback: { regular: Face; bold: Face } | null;

  private constructor(primary: Record<FontStyle, Face>, fallback: { regular: Face; bold: Face } | null) {
    this.#primary = primary;
    this.#fallback = fallback;
  }

  /**
   * Registers the fonts with `pdf`. The 10 MB fallback faces are read only when `text` (everything
   * the document will print) has a character the primary font cannot draw.
   */
  static async load(pdf: Pdf, text: string): Promise<PdfFonts> {
    const primaryFaces = await Promise.all(styles.map((style) => face(pdf, `sans-${style}`, primaryFiles[style])));
    const primary = Object.fromEntries(styles.map((style, index) => [style, primaryFaces[index]!])) as Record<FontStyle, Face>;
    let needsFallback = false;
    for (const char of text) {
      if (!covered(primary.regular.font, char) || !covered(primary.bold.font, char)) {
        needsFallback = true;
        break;
      }
    }
    if (!needsFallback) return new PdfFonts(primary, null);
    const [regular, bold] = await Promise.all([face(pdf, 'fallback-regular', fallbackFiles.regular), face(pdf, 'fallback-bold', fallbackFiles.bold)]);
    return new PdfFonts(primary, { regular, bold });
  }

  /** The registered name of the primary font in `style`. */
  name(style: FontStyle): string {
    return this.#primary[style].name;
  }

  /** `text` cut into runs, each in the first font that has its glyphs; spaces never cause a cut. */
  segments(text: string, style: FontStyle): FontSegment[] {
    const chain = this.#chain(style);
    const segments: FontSegment[] = [];
    for (const char of text) {
      const last = segments.at(-1);
      const found = /\s/.test(char) ? undefined : chain.find((candidate) => covered(candidate.font, char));
      const font = found?.name ?? last?.font ?? chain[0]!.name;
      if (last && last.font === font) last.text += char;
      else segments.push({ font, text: char });
    }
    return segments;
  }

  /** One font for a whole string (a table cell holds one): the first that draws every character. */
  single(text: string, style: FontStyle): string {
    const chain = this.#chain(style);
    const chars = Array.from(text).filter((char) => !/\s/.test(char));
    return (chain.find((candidate) => chars.every((char) => covered(candidate.font, char))) ?? chain[0]!).name;
  }

  #chain(style: FontStyle): Face[] {
    const primary = this.#primary[style];
    if (!this.#fallback) return [primary];
    return [primary, isBold(style) ? this.#fallback.bold : this.#fallback.regular];
  }
}

function covered(font: Font, char: string): boolean {
  const codePoint = char.codePointAt(0)!;
  return codePoint < 0x20 || font.hasGlyphForCodePoint(codePoint);
}

async function face(pdf: Pdf, name: string, file: string): Promise<Face> {
  const bytes = await readFile(resolve(file));
  const font = create(bytes);
  if (!('hasGlyphForCodePoint' in font)) throw new Error(`${file} is a font collection, not a font`);
  pdf.registerFont(name, bytes);
  return { name, font };
}
