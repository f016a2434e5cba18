import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../workflows/schemaValues.ts';
import { decodeFileText, documentId, documentsField, encodingNotice, isAcceptedFile, toSourceDocument, withDocuments } from './attachments.ts';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    documents: {
      type: 'array',
      items: { type: 'object', required: ['id', 'title', 'text'], properties: { id: { type: 'string', maxLength: 64 }, title: { type: 'string', maxLength: 300 }, text: { type: 'string', maxLength: 50 } } },
    },
  },
};

describe('documentsField', () => {
  it('finds a documents array of {id, title, text} with its limits', () => {
    expect(documentsField(schema)).toEqual({ maxItems: null, limits: { id: 64, title: 300, text: 50 } });
  });

  it('is null when the input takes no documents', () => {
    expect(documentsField({ type: 'object', properties: { name: { type: 'string' } } })).toBeNull();
    expect(documentsField({ type: 'object', properties: { documents: { type: 'array', items: { type: 'string' } } } })).toBeNull();
  });
});

describe('files', () => {
  it('accepts plain text and Markdown only', () => {
    expect(isAcceptedFile({ name: 'Notes.MD', type: '' })).toBe(true);
    expect(isAcceptedFile({ name: 'visit.txt', type: 'text/plain' })).toBe(true);
    expect(isAcceptedFile({ name: 'report.pdf', type: 'application/pdf' })).toBe(false);
    expect(isAcceptedFile({ name: 'memo.docx', type: '' })).toBe(false);
  });

  it('makes ids from file names, unique among those taken', () => {
    expect(documentId('Site visit – March 2025.md', new Set())).toBe('file-site-visit-march-2025');
    expect(documentId('a.txt', new Set(['file-a']))).toBe('file-a-2');
    expect(documentId('a.txt', new Set(['file-a', 'file-a-2']))).toBe('file-a-3');
    expect(documentId('…', new Set())).toBe('file-document');
    expect(documentId(`${'x'.repeat(100)}.txt`, new Set()).length).toBe(64);
  });

  it('turns text into a document, normalising line ends and a byte-order mark', () => {
    const result = toSourceDocument({ name: 'notes.md', text: '\uFEFFline one\r\nline two' }, new Set());
    expect(result).toEqual({ ok: true, document: { id: 'file-notes', title: 'notes.md', text: 'line one\nline two' } });
  });

  it('names what is wrong with a file it cannot take', () => {
    expect(toSourceDocument({ name: 'empty.txt', text: '  \n' }, new Set())).toEqual({ ok: false, problem: 'empty.txt is empty.' });
    const binary = toSourceDocument({ name: 'image.txt', text: 'PNG\u0000\u0000' }, new Set());
    expect(binary.ok ? '' : binary.problem).toContain('not a plain-text file');
    const long = toSourceDocument({ name: 'long.txt', text: 'x'.repeat(51) }, new Set(), { id: 64, title: 300, text: 50 });
    expect(long.ok ? '' : long.problem).toContain('at most 50');
  });
});

describe('decodeFileText', () => {
  it('reads UTF-8 as UTF-8, and a Latin-1 / Windows-1252 file as that, saying so, instead of replacing its letters', () => {
    expect(decodeFileText(new TextEncoder().encode('Société Générale, Müller & Søn — 5 €'))).toEqual({ text: 'Société Générale, Müller & Søn — 5 €', encoding: 'utf-8' });
    // "Café crème" as a Windows-1252 file: é = 0xE9, è = 0xE8 (invalid as UTF-8).
    const latin = Uint8Array.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x63, 0x72, 0xe8, 0x6d, 0x65, 0x20, 0x80]);
    expect(decodeFileText(latin)).toEqual({ text: 'Café crème €', encoding: 'windows-1252' });
    expect(encodingNotice('memo.txt', 'windows-1252')).toContain('memo.txt is not UTF-8: it was read as Western European (Windows-1252)');
    expect(encodingNotice('memo.txt', 'utf-8')).toBeNull();
  });

  it('still refuses a binary file read either way', () => {
    const binary = decodeFileText(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x01, 0x02, 0x03, 0x04]));
    expect(binary.encoding).toBe('windows-1252');
    const result = toSourceDocument({ name: 'scan.txt', text: binary.text }, new Set());
    expect(result.ok ? '' : result.problem).toContain('not a plain-text file');
    const controls = toSourceDocument({ name: 'blob.txt', text: 'ab\u0001\u0002\u0003\u0004\u0005cd' }, new Set());
    expect(controls.ok ? '' : controls.problem).toContain('not a plain-text file');
  });
});

describe('withDocuments', () => {
  it('adds attached documents after the ones the form has, renaming an id already used', () => {
    const input = { name: 'x', documents: [{ id: 'file-notes', title: 'Sample', text: 'sample' }] };
    const result = withDocuments(input, [{ id: 'file-notes', title: 'notes.md', text: 'mine' }]) as { documents: Array<{ id: string; text: string }> };
    expect(result.documents.map((document) => document.id)).toEqual(['file-notes', 'file-notes-2']);
    expect(result.documents[1]!.text).toBe('mine');
    expect(input.documents).toHaveLength(1);
  });

  it('creates the array when the form has none, and leaves the input alone with nothing attached', () => {
    expect(withDocuments({}, [{ id: 'a', title: 'a', text: 't' }])).toEqual({ documents: [{ id: 'a', title: 'a', text: 't' }] });
    const input = { documents: [] };
    expect(withDocuments(input, [])).toBe(input);
  });
});
