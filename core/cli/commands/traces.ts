import { CoreError } from '../../base/index.ts';
import { closeSync, unlinkSync, writeSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { exportTraces, keptReasons } from '../../contracts/index.ts';
import type { OtlpPushStatus, TraceExportInput, TraceFilter } from '../../contracts/index.ts';
import type { Core } from '../../createCore.ts';
import type { CliIo } from '../output.ts';
import type { CliApi } from './api.ts';
import { cliTime, openNewFile, runStorageCommand } from './common.ts';
import type { AccountCommandOptions } from './workflows.ts';
import { accountApi } from './workflows.ts';

/**
 * `strongroom traces …` and `strongroom feedback …`: the Traces page from a terminal, acting in
 * one account through the router (so exports are audited and content follows the role).
 */

function print(io: CliIo, json: boolean, value: unknown, text: string): void {
  io.out(json ? JSON.stringify({ ok: true, value }) : text);
}

/** A CLI date or time as ISO-8601, or ERR_INPUT_INVALID naming the option. */
function isoOption(name: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(cliTime(name, value)).toISOString();
}

/**
 * Writes an export — one trace, or every part of an export by time — to a new file readable by
 * its owner only, one part in memory at a time. If any part fails the file is deleted: a partial
 * evidence file must never look like a complete one.
 */
export async function exportTracesToFile(api: CliApi, input: TraceExportInput, file: string, progress?: (written: number, total: number) => void) {
  const fd = openNewFile(file);
  try {
    const write = (text: string): void => {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    };
    const done = await exportTraces((part) => api.call('traces.export', part), input, write, progress);
    closeSync(fd);
    return done;
  } catch (error) {
    closeSync(fd);
    unlinkSync(file);
    throw error;
  }
}

/** `strongroom traces export (--trace ID | --since TIME [--until TIME]) --out FILE`: OTLP/JSON, complete, written to a new file. */
export async function tracesExportCommand(io: CliIo, core: Core, options: AccountCommandOptions & { trace?: string; since?: string; until?: string; out: string }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    if ((options.trace === undefined) === (options.since === undefined)) throw new CoreError('ERR_INPUT_INVALID', 'Give either --trace ID or --since TIME.');
    if (options.trace !== undefined && options.until !== undefined) throw new CoreError('ERR_INPUT_INVALID', '--until goes with --since, not --trace.');
    const since = isoOption('since', options.since);
    const until = isoOption('until', options.until);
    const input: TraceExportInput = options.trace !== undefined ? { traceId: options.trace } : { since: since!, ...(until ? { until } : {}) };
    // Long exports say how far they are, on stderr (stdout stays the one result line).
    const progress = options.json ? undefined : (written: number, total: number) => {
      if (written < total) io.err(`Exported ${written.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} traces…`);
    };
    const result = await exportTracesToFile(accountApi(core, options.account), input, options.out, progress);
    const summary = { file: options.out, traces: result.traces, spans: result.spans, contentIncluded: result.contentIncluded, unreadableSpans: result.unreadableSpans };
    if (result.unreadableSpans > 0 && !options.json) io.err(`warning ERR_STORAGE_TAMPERED: the content of ${result.unreadableSpans} span${result.unreadableSpans === 1 ? '' : 's'} cannot be decrypted (altered, or copied from another row). They are in the file without content, marked strongroom.content.unreadable; everything else is intact.`);
    print(io, options.json, summary, `Wrote ${result.spans} span${result.spans === 1 ? '' : 's'} of ${result.traces} trace${result.traces === 1 ? '' : 's'} to ${options.out} (OTLP/JSON, ${result.contentIncluded ? 'with content' : 'metadata only'}).`);
    return 0;
  });
}

/** `strongroom traces purge --before TIME [--dry-run]`: delete old traces (audited; never under a legal hold). */
export async function tracesPurgeCommand(io: CliIo, core: Core, options: AccountCommandOptions & { before: string; dryRun: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const before = new Date(cliTime('before', options.before));
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

export interface TracesListOptions extends AccountCommandOptions {
  workflow?: string;
  status?: string;
  model?: string;
  user?: string;
  since?: string;
  until?: string;
  flagged?: boolean;
  limit: number;
}

/** `strongroom traces list [filters]`: recent traces with status, spans, tokens and feedback — the Traces page's filters. */
export async function tracesListCommand(io: CliIo, core: Core, options: TracesListOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const from = isoOption('since', options.since);
    const to = isoOption('until', options.until);
    const filter = {
      ...(options.workflow ? { workflowId: options.workflow } : {}),
      ...(options.status ? { status: options.status as TraceFilter['status'] } : {}),
      ...(options.model ? { modelId: options.model } : {}),
      ...(options.user ? { userId: options.user } : {}),
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(options.flagged === undefined ? {} : { flagged: options.flagged }),
    };
    const result = await accountApi(core, options.account).call('traces.list', { limit: options.limit, ...filter });
    const lines = result.traces.map((t) => `${t.traceId}  ${t.startedAt.slice(0, 19)}  ${(t.workflowId ?? '-').padEnd(22)} ${t.status.padEnd(11)} ${String(t.spanCount).padStart(5)} spans ${String(t.inputTokens + t.outputTokens).padStart(7)} tokens${t.feedbackCount > 0 ? `  ${t.feedbackCount} feedback` : ''}${t.incomplete ? '  (incomplete)' : ''}${t.testModel ? '  [test model]' : ''}`);
    const filtered = Object.keys(filter).length > 0;
    print(io, options.json, result, lines.length > 0 ? [...lines, `${result.traces.length} of ${result.total} traces${filtered ? ' matching the filters' : ''}`].join('\n') : filtered ? 'No trace matches these filters.' : 'No traces in this account.');
    return 0;
  });
}

/** `strongroom feedback list --trace ID`: the latest version of each feedback on the trace. */
export async function feedbackListCommand(io: CliIo, core: Core, options: AccountCommandOptions & { trace: string; span?: string; history?: boolean }): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    const latest = await api.call('feedback.list', { traceId: options.trace, ...(options.span ? { spanId: options.span } : {}) });
    // --history: every version of each, oldest first (a change never overwrites: who changed what, when).
    const feedback = options.history ? (await Promise.all(latest.map((f) => api.call('feedback.history', { feedbackId: f.id })))).flat() : latest;
    const lines = feedback.map((f) => [
      `${f.id} v${f.version}  span ${f.spanId}  ${f.action}${f.rating === null ? '' : `  rating ${f.rating}`}${f.verdict === null ? '' : `  ${f.verdict}`}${f.editDistance === null ? '' : `  edit distance ${f.editDistance}`}  by ${f.createdByName ?? f.createdBy} at ${f.createdAt}`,
      ...(f.labels.length > 0 ? [`  labels: ${f.labels.join(', ')}`] : []),
      ...(f.comment ? [`  comment: ${f.comment}`] : []),
    ].join('\n'));
    print(io, options.json, feedback, lines.length > 0 ? lines.join('\n') : 'No feedback on this trace.');
    return 0;
  });
}

export interface TracesPushOptions extends AccountCommandOptions {
  endpoint?: string;
  off: boolean;
  includeContent: boolean;
  caFile?: string;
  clearCaFile?: boolean;
  tokenHeader?: string;
  /** Read from standard input by main (`--token-stdin`), never from an argument. */
  token?: string;
  clearToken?: boolean;
}

/** What the push did since the app that answered started, in one line. */
function pushStatusLine(status: OtlpPushStatus): string {
  if (status.pushedSpans + status.failedSpans + status.droppedSpans === 0) return 'The running app shows what its push has done (spans pushed and failed, the last failure and why) on Admin → Trace push.';
  const counts = `${status.pushedSpans} spans pushed, ${status.failedSpans} failed, ${status.droppedSpans} dropped`;
  const success = status.lastSuccessAt ? `; last success ${status.lastSuccessAt}` : '';
  const failure = status.lastFailure ? `; last failure ${status.lastFailure.at} (${status.lastFailure.reason}): ${status.lastFailure.message}` : '';
  return `Since this process started: ${counts}${success}${failure}. The running app reports its own on Admin → Trace push.`;
}

/**
 * `strongroom traces push (--endpoint URL [--include-content] [--ca-file FILE] [--token-stdin
 * [--token-header NAME]] | --off)`: the OTLP/HTTP push to a collector. The token is read from
 * standard input and kept in the OS keychain; the CA file must hold the PEM of the CA that signs
 * the collector's certificate.
 */
export async function tracesPushCommand(io: CliIo, core: Core, options: TracesPushOptions): Promise<number> {
  return runStorageCommand(io, options.json, async () => {
    const api = accountApi(core, options.account);
    if (options.off && options.endpoint) throw new CoreError('ERR_INPUT_INVALID', 'Give either --endpoint URL or --off.');
    if (options.caFile !== undefined && options.clearCaFile) throw new CoreError('ERR_INPUT_INVALID', 'Give either --ca-file FILE or --clear-ca-file.');
    if (options.token !== undefined && options.clearToken) throw new CoreError('ERR_INPUT_INVALID', 'Give either --token-stdin or --clear-token.');
    const transport = {
      ...(options.caFile !== undefined ? { caFile: isAbsolute(options.caFile) ? options.caFile : resolve(options.caFile) } : options.clearCaFile ? { caFile: null } : {}),
      ...(options.tokenHeader !== undefined ? { tokenHeader: options.tokenHeader } : {}),
      ...(options.token !== undefined ? { token: options.token } : options.clearToken ? { token: null } : {}),
    };
    const current = await api.call('traces.pushConfig', {});
    const config = options.off
      ? await api.call('traces.setPushConfig', { enabled: false, endpoint: null, includeContent: false, ...transport })
      : options.endpoint
        ? await api.call('traces.setPushConfig', { enabled: true, endpoint: options.endpoint, includeContent: options.includeContent, ...transport })
        : Object.keys(transport).length > 0
          ? await api.call('traces.setPushConfig', { enabled: current.enabled, endpoint: current.endpoint, includeContent: current.includeContent, ...transport })
          : current;
    const trust = config.caFile ? `trusting the CA in ${config.caFile}` : 'trusting the public CAs';
    const token = config.tokenSet ? `a token in the ${config.tokenHeader} header` : 'no token';
    const state = config.enabled ? `Spans are pushed to ${config.endpoint} (${config.includeContent ? 'with content' : 'metadata only'}; ${trust}; ${token}).` : `The OTLP push is off (${trust}; ${token} kept for it).`;
    print(io, options.json, config, `${state}\n${pushStatusLine(config.status)}`);
    return 0;
  });
}
