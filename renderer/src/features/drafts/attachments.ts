import type { JsonSchema } from '../workflows/schemaValues.ts';
import { typeOf } from '../workflows/schemaValues.ts';

/** A source document as drafting workflows take it in their input's `documents` array. */
export interface SourceDocument {
  id: string;
  title: string;
  text: string;
}

/** What the file picker accepts: plain text and Markdown, read in the browser as UTF-8. */
export const acceptedFileTypes = '.txt,.md,.markdown,text/plain,text/markdown';
const acceptedExtensions = ['.txt', '.md', '.markdown'];

/** Limits of a document as the shipped workflows declare them (used when the schema says nothing). */
const fallbackLimits = { id: 64, title: 300, text: 40_000 };

/**
 * Whether the workflow's input has a `documents` array of `{ id, title, text }` objects, and its
 * length limits: attached files go there.
 */
export function documentsField(schema: JsonSchema): { maxItems: number | null; limits: typeof fallbackLimits } | null {
  if (typeOf(schema) !== 'object') return null;
  const documents = schema.properties?.documents;
  if (!documents || typeOf(documents) !== 'array' || !documents.items) return null;
  const item = documents.items;
  const properties = item.properties ?? {};
  if (!properties.id || !properties.title || !properties.text) return null;
  return {
    maxItems: (documents as JsonSchema & { maxItems?: number }).maxItems ?? null,
    limits: {
      id: properties.id.maxLength ?? fallbackLimits.id,
      title: properties.title.maxLength ?? fallbackLimits.title,
      text: properties.text.maxLength ?? fallbackLimits.text,
    },
  };
}

/** Whether a file looks like plain text or Markdown by its name or type. */
export function isAcceptedFile(file: { name: string; type: string }): boolean {
  const name = file.name.toLowerCase();
  return acceptedExtensions.some((extension) => name.endsWith(extension)) || file.type === 'text/plain' || file.type === 'text/markdown';
}

/** A document id from a file name: lower case, safe characters, unique among `taken`. */
export function documentId(fileName: string, taken: ReadonlySet<string>, maxLength = fallbackLimits.id): string {
  const stem = fileName.replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'document';
  const base = `file-${stem}`.slice(0, maxLength);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, maxLength - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** How a file's bytes were read as text. */
export type TextEncodingRead = 'utf-8' | 'windows-1252';

/**
 * A picked file's bytes as text: UTF-8 when they are valid UTF-8 (a BOM is dropped), else
 * Windows-1252, the Western European legacy encoding that exported bank files most often use
 * (it decodes any byte, so the caller must say it guessed). Decoding UTF-8 leniently instead would
 * silently turn "Société" into "Soci�t�".
 */
export function decodeFileText(bytes: Uint8Array): { text: string; encoding: TextEncodingRead } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
  }
}

/** What the page says about a file that was not UTF-8 but was taken. */
export function encodingNotice(fileName: string, encoding: TextEncodingRead): string | null {
  return encoding === 'utf-8' ? null : `${fileName} is not UTF-8: it was read as Western European (Windows-1252). Check its accented letters before you start; if they look wrong, save the file as UTF-8 and attach it again.`;
}

/**
 * Turns a picked file's text into a source document, or says why it cannot be one: empty, binary
 * (a NUL byte or other control characters, or replacement characters from a failed decode), or
 * longer than the schema allows.
 */
export function toSourceDocument(file: { name: string; text: string }, taken: ReadonlySet<string>, limits = fallbackLimits): { ok: true; document: SourceDocument } | { ok: false; problem: string } {
  const text = file.text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (text.trim() === '') return { ok: false, problem: `${file.name} is empty.` };
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  if (text.includes('\u0000') || (text.match(/\uFFFD/g)?.length ?? 0) > 3 || (text.match(/[\u0001-\u0008\u000E-\u001F]/g)?.length ?? 0) > 3) return { ok: false, problem: `${file.name} is not a plain-text file (only plain text and Markdown can be attached).` };
  if (text.length > limits.text) return { ok: false, problem: `${file.name} has ${text.length.toLocaleString('en')} characters; a source document may have at most ${limits.text.toLocaleString('en')}.` };
  const title = file.name.slice(0, limits.title);
  return { ok: true, document: { id: documentId(file.name, taken, limits.id), title, text } };
}

/**
 * The input with the attached documents added after any the form already has (a sample's, say);
 * an attached document whose id one of those already uses gets a fresh one.
 */
export function withDocuments(input: unknown, attached: readonly SourceDocument[], idLength = fallbackLimits.id): unknown {
  if (attached.length === 0 || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  const object = input as Record<string, unknown>;
  const existing = Array.isArray(object.documents) ? (object.documents as unknown[]) : [];
  const taken = new Set(existing.map((document) => (document && typeof document === 'object' ? (document as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === 'string'));
  const added = attached.map((document) => {
    const id = taken.has(document.id) ? documentId(document.title, taken, idLength) : document.id;
    taken.add(id);
    return id === document.id ? document : { ...document, id };
  });
  return { ...object, documents: [...existing, ...added] };
}
