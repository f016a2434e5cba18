import { humanize } from './outline.ts';

/** Escapes what would break a Markdown table cell. */
const cell = (value: unknown): string => scalar(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function scalar(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const isPlainRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isFlatRecord = (value: unknown): value is Record<string, unknown> => isPlainRecord(value) && Object.values(value).every((v) => v === null || typeof v !== 'object');

/**
 * A step's output as the section's Markdown: text stays text; a structured output becomes
 * labelled paragraphs, bullet lists for lists of text, and tables for lists of records — so an
 * analyst edits prose and tables, never JSON.
 */
export function outputToMarkdown(output: unknown): string {
  if (typeof output === 'string') return output.trim();
  if (output === null || output === undefined) return '';
  return block(output, 0).trim();
}

function block(value: unknown, depth: number): string {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) {
    if (value.length === 0) return '_None._';
    if (value.every((v) => v === null || typeof v !== 'object')) return value.map((v) => `- ${scalar(v)}`).join('\n');
    if (value.every(isFlatRecord)) {
      const columns = [...new Set(value.flatMap((v) => Object.keys(v)))];
      return [`| ${columns.map(humanize).join(' | ')} |`, `| ${columns.map(() => '---').join(' | ')} |`, ...value.map((row) => `| ${columns.map((c) => cell(row[c])).join(' | ')} |`)].join('\n');
    }
    return value.map((v, i) => `${depth < 2 ? `**${i + 1}.**` : `${i + 1}.`}\n\n${block(v, depth + 1)}`).join('\n\n');
  }
  if (isPlainRecord(value)) {
    const parts: string[] = [];
    const facts: string[] = [];
    for (const [key, field] of Object.entries(value)) {
      if (field === null || ['number', 'boolean'].includes(typeof field) || (typeof field === 'string' && field.length <= 80 && !field.includes('\n'))) facts.push(`**${humanize(key)}:** ${scalar(field)}`);
      else parts.push(`**${humanize(key)}**\n\n${block(field, depth + 1)}`);
    }
    // Short facts first, one per line (two trailing spaces make a Markdown line break).
    return [...(facts.length > 0 ? [facts.join('  \n')] : []), ...parts].join('\n\n');
  }
  return scalar(value);
}
