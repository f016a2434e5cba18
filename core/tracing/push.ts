import type { Logger } from '../base/index.ts';
import type { OtlpPushConfig } from '../contracts/index.ts';
import { Repository } from '../storage/index.ts';
import type { SqliteDatabase } from '../storage/index.ts';
import { toOtlpDocument } from './otlp.ts';
import type { SpanRecord } from './recorder.ts';

/** The installation's OTLP/HTTP push setting (one row; absent = off). */
export class PushConfigStore extends Repository {
  get(): OtlpPushConfig {
    const row = this.statement<[], { enabled: number; endpoint: string | null; include_content: number }>('SELECT enabled, endpoint, include_content FROM trace_push WHERE singleton = 1').get();
    return row ? { enabled: row.enabled === 1, endpoint: row.endpoint, includeContent: row.include_content === 1 } : { enabled: false, endpoint: null, includeContent: false };
  }

  set(config: OtlpPushConfig, by: string, now: number): void {
    this.statement<[number, string | null, number, string, number]>(
      `INSERT INTO trace_push (singleton, enabled, endpoint, include_content, updated_by, updated_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET enabled = excluded.enabled, endpoint = excluded.endpoint, include_content = excluded.include_content, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    ).run(config.enabled ? 1 : 0, config.endpoint, config.includeContent ? 1 : 0, by, now);
  }
}

export interface PushStats {
  pushed: number;
  failed: number;
  dropped: number;
}

/**
 * Pushes written spans to the collector an administrator configured, as OTLP/HTTP JSON. Off by
 * default; the only host it ever contacts is the configured endpoint (no redirects followed).
 * Content goes only when the setting says so. One request at a time; while one is in flight,
 * spans wait in a bounded buffer and the excess is dropped and counted — tracing never slows a
 * run down because a collector is slow.
 */
export class OtlpPusher {
  private readonly config: PushConfigStore;
  private readonly logger: Logger;
  private readonly installationId: string;
  private readonly maxBuffered: number;
  private readonly timeoutMs: number;
  private cached: OtlpPushConfig | null = null;
  private buffer: SpanRecord[] = [];
  private inFlight: Promise<void> | null = null;
  readonly stats: PushStats = { pushed: 0, failed: 0, dropped: 0 };

  constructor(options: { db: SqliteDatabase; logger: Logger; installationId: string; maxBuffered?: number; timeoutMs?: number }) {
    this.config = new PushConfigStore(options.db);
    this.logger = options.logger;
    this.installationId = options.installationId;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  current(): OtlpPushConfig {
    this.cached ??= this.config.get();
    return this.cached;
  }

  /** Called with each batch the recorder wrote. */
  written(spans: readonly SpanRecord[]): void {
    const config = this.current();
    if (!config.enabled || !config.endpoint) return;
    const room = this.maxBuffered - this.buffer.length;
    if (room < spans.length) this.stats.dropped += spans.length - Math.max(0, room);
    this.buffer.push(...spans.slice(0, Math.max(0, room)));
    this.inFlight ??= this.drain(config.endpoint, config.includeContent).finally(() => {
      this.inFlight = null;
    });
  }

  /** Resolves when nothing is waiting to be pushed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Re-reads the setting (after it was changed). */
  reload(): void {
    this.cached = null;
  }

  private async drain(endpoint: string, includeContent: boolean): Promise<void> {
    while (this.buffer.length > 0) {
      const spans = this.buffer;
      this.buffer = [];
      const byAccount = new Map<string, SpanRecord[]>();
      for (const span of spans) (byAccount.get(span.accountId) ?? byAccount.set(span.accountId, []).get(span.accountId)!).push(span);
      const document = { resourceSpans: [...byAccount].flatMap(([accountId, records]) => toOtlpDocument(records.map((r) => ({
        traceId: r.traceId,
        spanId: r.spanId,
        parentSpanId: r.parentSpanId,
        kind: r.kind,
        name: r.name,
        path: r.path,
        startTime: new Date(Math.floor(r.startUs / 1000)).toISOString(),
        startUs: r.startUs,
        endUs: r.endUs,
        durationMs: r.durationMs,
        status: r.status,
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        attributes: r.attributes,
        content: includeContent && (r.input !== undefined || r.output !== undefined) ? { input: r.input ?? null, output: r.output ?? null } : null,
      })), { accountId, installationId: this.installationId }).resourceSpans) };
      try {
        const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(document), redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
        await response.body?.cancel();
        if (response.ok) this.stats.pushed += spans.length;
        else {
          this.stats.failed += spans.length;
          this.logger.warn({ status: response.status, spans: spans.length }, 'the trace collector refused a push; those spans stay only in the local database');
        }
      } catch (error) {
        this.stats.failed += spans.length;
        this.logger.warn({ code: error instanceof Error ? error.name : 'unknown', spans: spans.length }, 'the trace collector could not be reached; those spans stay only in the local database');
      }
    }
  }
}
