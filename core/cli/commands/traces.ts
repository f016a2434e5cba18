import { CoreError } from '../../base/index.ts';
import { keptReasons } from '../../contracts/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import { runStorageCommand, writeNewFile } from './common.ts';
import type { AccountCommandOptions } from './workflows.ts';
import { accountApi } from './workflows.ts';

/**
 * `strongroom traces …` and `strongroom feedback …`: the Traces page from a terminal, acting in
 * one account through the router (so exports are audited and content follows the role).
 */

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.out(json ? JSON.stringify({ ok: true, value }) : text);
}

/** `strongroom traces export (--trace ID | --since TIME) --out FILE`: OTLP/JSON, written to a new file. */
export async function tracesExportCommand(io: CliIo, core: Core, options: AccountCommandOptions & { trace?: string; since?: string; out: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    if ((options.trace === undefined) === (options.since === undefined)) throw new CoreError('ERR_INPUT_INVALID', 'Give either --trace ID or --since TIME.');
    const since = options.since === undefined ? undefined : new Date(options.since);
    if (since && Number.isNaN(since.getTime())) throw new CoreError('ERR_INPUT_INVALID', `--since ${options.since} is not a date or time (e.g. 2026-11-01 or 2026-11-01T09:00:00Z).`);
    const result = await accountApi(core, options.account).call('traces.export', options.trace ? { traceId: options.trace } : { since: since!.toISOString() });
    writeNewFile(options.out, JSON.stringify(result.document));
    const summary = { file: options.out, traces: result.traces, spans: result.spans, contentIncluded: result.contentIncluded };
    print(io, options.json, summary, `Wrote ${result.spans} span${result.spans === 1 ? '' : 's'} of ${result.traces} trace${result.traces === 1 ? '' : 's'} to ${options.out} (OTLP/JSON, ${result.contentIncluded ? 'with content' : 'metadata only'}).`);
    return 0;
  });
}

/** `strongroom traces purge --before TIME [--dry-run]`: delete old traces (audited; never under a legal hold). */
export async function tracesPurgeCommand(io: CliIo, core: Core, options: AccountCommandOptions & { before: string; dryRun: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const before = new Date(options.before);
    if (Number.isNaN(before.getTime())) throw new CoreError('ERR_INPUT_INVALID', `--before ${options.before} is not a date or time (e.g. 2026-01-01 or 2026-01-01T00:00:00Z).`);
    const result = await accountApi(core, options.account).call('traces.purge', { before: before.toISOString(), dryRun: options.dryRun });
    const reasons = keptReasons(result.kept);
    const keptLine = reasons.length > 0 ? ` Kept, though older: ${reasons.join(', ')}.` : '';
    const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
    const text = result.legalHold
      ? `The account is on legal hold: no trace was deleted. Release the hold (audit.legalHold.set) first.`
      : `${result.dryRun ? 'Would delete' : 'Deleted'} ${plural(result.purged.traceCount, 'trace')} started before ${result.before} (${plural(result.purged.spanCount, 'span')}).${keptLine}`;
    print(io, options.json, result, text);
    return 0;
  });
}

/** `strongroom traces retention [--days N | --off]`: show or set the automatic deletion of old traces. */
export async function tracesRetentionCommand(io: CliIo, core: Core, options: AccountCommandOptions & { days?: number; off: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    if (options.off && options.days !== undefined) throw new CoreError('ERR_INPUT_INVALID', 'Give either --days N or --off.');
    const api = accountApi(core, options.account);
    const retention = options.off
      ? await api.call('traces.retention.set', { retentionDays: null })
      : options.days !== undefined
        ? await api.call('traces.retention.set', { retentionDays: options.days })
        : await api.call('traces.retention.get', {});
    print(io, options.json, retention, retention.retentionDays === null
      ? 'Traces are kept until someone purges them (strongroom traces purge).'
      : `Traces are deleted automatically ${retention.retentionDays} day${retention.retentionDays === 1 ? '' : 's'} after they started (open, flagged and commented traces and those behind drafts stay; nothing goes under a legal hold).`);
    return 0;
  });
}

/** `strongroom traces list`: recent traces with status, spans, tokens and feedback. */
export async function tracesListCommand(io: CliIo, core: Core, options: AccountCommandOptions & { workflow?: string; limit: number }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const result = await accountApi(core, options.account).call('traces.list', { limit: options.limit, ...(options.workflow ? { workflowId: options.workflow } : {}) });
    const lines = result.traces.map((t) => `${t.traceId}  ${t.startedAt.slice(0, 19)}  ${(t.workflowId ?? '-').padEnd(22)} ${t.status.padEnd(11)} ${String(t.spanCount).padStart(5)} spans ${String(t.inputTokens + t.outputTokens).padStart(7)} tokens${t.feedbackCount > 0 ? `  ${t.feedbackCount} feedback` : ''}${t.incomplete ? '  (incomplete)' : ''}`);
    print(io, options.json, result, lines.length > 0 ? [...lines, `${result.traces.length} of ${result.total} traces`].join('\n') : 'No traces in this account.');
    return 0;
  });
}

/** `strongroom feedback list --trace ID`: the latest version of each feedback on the trace. */
export async function feedbackListCommand(io: CliIo, core: Core, options: AccountCommandOptions & { trace: string; span?: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const feedback = await accountApi(core, options.account).call('feedback.list', { traceId: options.trace, ...(options.span ? { spanId: options.span } : {}) });
    const lines = feedback.map((f) => [
      `${f.id} v${f.version}  span ${f.spanId}  ${f.action}${f.rating === null ? '' : `  rating ${f.rating}`}${f.verdict === null ? '' : `  ${f.verdict}`}${f.editDistance === null ? '' : `  edit distance ${f.editDistance}`}  by ${f.createdBy} at ${f.createdAt}`,
      ...(f.labels.length > 0 ? [`  labels: ${f.labels.join(', ')}`] : []),
      ...(f.comment ? [`  comment: ${f.comment}`] : []),
    ].join('\n'));
    print(io, options.json, feedback, lines.length > 0 ? lines.join('\n') : 'No feedback on this trace.');
    return 0;
  });
}

/** `strongroom traces push (--endpoint URL [--include-content] | --off)`: the OTLP/HTTP push to a collector. */
export async function tracesPushCommand(io: CliIo, core: Core, options: AccountCommandOptions & { endpoint?: string; off: boolean; includeContent: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    if (options.off && options.endpoint) throw new CoreError('ERR_INPUT_INVALID', 'Give either --endpoint URL or --off.');
    const config = options.off
      ? await api.call('traces.setPushConfig', { enabled: false, endpoint: null, includeContent: false })
      : options.endpoint
        ? await api.call('traces.setPushConfig', { enabled: true, endpoint: options.endpoint, includeContent: options.includeContent })
        : await api.call('traces.pushConfig', {});
    print(io, options.json, config, config.enabled ? `Spans are pushed to ${config.endpoint} (${config.includeContent ? 'with content' : 'metadata only'}).` : 'The OTLP push is off.');
    return 0;
  });
}
