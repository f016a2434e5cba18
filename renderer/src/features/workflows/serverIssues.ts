import type { ApiError, InputIssue } from '../../../../core/contracts/index.ts';

/**
 * The API's refusal of a form's value (`ERR_INPUT_INVALID`, `details.issues` of `{ path, message }`
 * with paths like `input.customer.bsaId` or `answer.rows.0.amount`) as plain words per field, so
 * the form can say each beside its field. Keys are the dotted path under `prefix` ('' for the
 * whole value). Messages the validator words for developers are said for people; others stay.
 */
export function fieldIssues(error: ApiError | null, prefix: 'input' | 'answer'): ReadonlyMap<string, string> {
  const issues = error?.code === 'ERR_INPUT_INVALID' && Array.isArray(error.details?.issues) ? (error.details.issues as InputIssue[]) : [];
  const byField = new Map<string, string>();
  for (const issue of issues) {
    if (typeof issue.path !== 'string' || typeof issue.message !== 'string') continue;
    if (issue.path !== prefix && !issue.path.startsWith(`${prefix}.`)) continue;
    const key = issue.path.slice(prefix.length + 1);
    // The first problem of a field is enough to act on.
    if (!byField.has(key)) byField.set(key, plainIssue(issue.message));
  }
  return byField;
}

const counted = (count: string, one: string, many: string): string => `${Number(count).toLocaleString('en-US')} ${count === '1' ? one : many}`;

/** zod's wording of common refusals, said for the person filling the form. */
export function plainIssue(message: string): string {
  let match: RegExpExecArray | null;
  if ((match = /^Too big: expected string to have <=(\d+) characters?$/.exec(message))) return `Too long: at most ${counted(match[1]!, 'character', 'characters')}.`;
  if ((match = /^Too small: expected string to have >=(\d+) characters?$/.exec(message))) return `Too short: at least ${counted(match[1]!, 'character', 'characters')}.`;
  if ((match = /^Too big: expected array to have <=(\d+) items?$/.exec(message))) return `Too many rows: at most ${counted(match[1]!, 'row', 'rows')}.`;
  if ((match = /^Too small: expected array to have >=(\d+) items?$/.exec(message))) return `Too few rows: at least ${counted(match[1]!, 'row', 'rows')}.`;
  if ((match = /^Too big: expected (?:number|int|bigint) to be <=(\S+)$/.exec(message))) return `Must be at most ${match[1]!}.`;
  if ((match = /^Too big: expected (?:number|int|bigint) to be <(\S+)$/.exec(message))) return `Must be below ${match[1]!}.`;
  if ((match = /^Too small: expected (?:number|int|bigint) to be >=(\S+)$/.exec(message))) return `Must be at least ${match[1]!}.`;
  if ((match = /^Too small: expected (?:number|int|bigint) to be >(\S+)$/.exec(message))) return `Must be above ${match[1]!}.`;
  if (/^Invalid input: expected \w+, received undefined$/.test(message)) return 'Required.';
  if (/^Invalid input: expected int, received number$/.test(message)) return 'Must be a whole number.';
  if (/^Invalid string: must match pattern /.test(message)) return 'This does not have the format asked for.';
  if (/^Invalid option: expected one of /.test(message)) return 'Choose one of the options.';
  return message;
}
