import { readFile } from 'node:fs/promises';
import { Agent, fetch } from 'undici';
import { CoreError, systemClock } from '../base/index.ts';
import type { Clock, Logger } from '../base/index.ts';
import type { OtlpPushConfig, OtlpPushStatus, pushFailureReasons } from '../contracts/index.ts';
import type { SecretStore } from '../secrets/index.ts';
import { Repository } from '../storage/index.ts';
import type { SqliteDatabase } from '../storage/index.ts';
import { toOtlpDocument } from './otlp.ts';
import type { SpanRecord } from './recorder.ts';

/** The push setting as stored: the `trace_push` row, and the CA file and token header beside it in `meta`. */
export interface PushSettings {
  enabled: boolean;
  endpoint: string | null;
  includeContent: boolean;
  caFile: string | null;
  tokenHeader: string;
}

/** Where the CA file and token header live: `meta`, so this needs no migration of its own. */
const transportKey = 'trace_push.transport';

/** The installation's OTLP/HTTP push setting (one row; absent = off). */
export class PushConfigStore extends Repository {
  get(): PushSettings {
    const row = this.statement<[], { enabled: number; endpoint: string | null; include_content: number }>('SELECT enabled, endpoint, include_content FROM trace_push WHERE singleton = 1').get();
    const transport = this.statement<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(transportKey);
    const { caFile = null, tokenHeader = 'authorization' } = transport ? (JSON.parse(transport.value) as Partial<Pick<PushSettings, 'caFile' | 'tokenHeader'>>) : {};
    return { enabled: row?.enabled === 1, endpoint: row?.endpoint ?? null, includeContent: row?.include_content === 1, caFile, tokenHeader };
  }

  set(settings: PushSettings, by: string, now: number): void {
    this.statement<[number, string | null, number, string, number]>(
      `INSERT INTO trace_push (singleton, enabled, endpoint, include_content, updated_by, updated_at) VALUES (1, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET enabled = excluded.enabled, endpoint = excluded.endpoint, include_content = excluded.include_content, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
    ).run(settings.enabled ? 1 : 0, settings.endpoint, settings.includeContent ? 1 : 0, by, now);
    this.statement<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(transportKey, JSON.stringify({ caFile: settings.caFile, tokenHeader: settings.tokenHeader }));
  }
}

/** Name of the collector token in the SecretStore (the OS keychain), beside the remote models' API keys. */
export function pushTokenSecretName(installationId: string): string {
  return `${installationId}/trace-push-token`;
}

/** The PEM text of a CA file; a RangeError if it holds no certificate (an unreadable file throws the fs error). */
export async function readCaFile(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new RangeError('the CA file holds no PEM certificate');
  return pem;
}

type FailureReason = (typeof pushFailureReasons)[number];

/** A push that did not reach the collector, with the reason the admin sees (never a token or content). */
class PushFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** Node's codes for a certificate the connection refused. */
/**
 * Ended, and for a run's root span, ended with the run: a pass that stops because the run waits
 * or the app is stopping closes the root too, and a later pass reopens it.
 */
const isFinished = (span: SpanRecord): boolean => {
  if (span.endUs === null) return false;
  if (span.parentSpanId !== null || span.kind !== 'workflow') return true;
  const runStatus = span.attributes['strongroom.run.status'];
  return runStatus === undefined || runStatus === 'completed' || runStatus === 'failed' || runStatus === 'cancelled';
};

const isTlsCode = (code: string): boolean => code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code);

function failureOf(error: unknown, settings: PushSettings, timeoutMs: number): PushFailure {
  if (error instanceof PushFailure) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return new PushFailure('timeout', `The collector did not answer within ${timeoutMs / 1000} s.`);
  // undici's fetch fails with a TypeError whose cause is the socket's error (code) or its own (message only).
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.name : 'unknown';
  if (isTlsCode(code)) {
    const hint = settings.caFile === null ? 'if the bank\'s own CA signs it, set a CA file' : `is it signed by the CA in ${settings.caFile}?`;
    return new PushFailure('tls', `The collector's certificate was refused (${code}): ${hint}`);
  }
  return new PushFailure('unreachable', `The collector could not be reached (${code}).`);
}

/**
 * Pushes written spans to the collector an administrator configured, as OTLP/HTTP JSON. Off by
 * default; the only host it ever contacts is the configured endpoint (no redirects followed),
 * trusting the configured CA file instead of the public roots when one is set, with the token
 * from the SecretStore in the configured header. Content goes only when the setting says so. One
 * request at a time; while one is in flight, spans wait in a bounded buffer and the excess is
 * dropped and counted — tracing never slows a run down because a collector is slow. What it did
 * since the app started is `status()`, for the admin page and the CLI.
 */
export class OtlpPusher {
  private readonly config: PushConfigStore;
  private readonly logger: Logger;
  private readonly installationId: string;
  private readonly secrets: SecretStore | undefined;
  private readonly clock: Clock;
  private readonly maxBuffered: number;
  private readonly timeoutMs: number;
  private cached: PushSettings | null = null;
  private token: Promise<string | null> | null = null;
  private buffer: SpanRecord[] = [];
  private inFlight: Promise<void> | null = null;
  private readonly counts = { pushedSpans: 0, failedSpans: 0, droppedSpans: 0 };
  private lastSuccessAt: number | null = null;
  private lastFailure: { at: number; reason: FailureReason; message: string } | null = null;

  constructor(options: { db: SqliteDatabase; logger: Logger; installationId: string; secrets?: SecretStore; clock?: Clock; maxBuffered?: number; timeoutMs?: number }) {
    this.config = new PushConfigStore(options.db);
    this.logger = options.logger;
    this.installationId = options.installationId;
    this.secrets = options.secrets;
    this.clock = options.clock ?? systemClock;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  settings(): PushSettings {
    this.cached ??= this.config.get();
    return this.cached;
  }

  /** The setting as the API shows it: whether a token is kept, never the token. */
  async current(): Promise<OtlpPushConfig> {
    const tokenSet = (await this.readToken().catch(() => null)) !== null;
    return { ...this.settings(), tokenSet, status: this.status() };
  }

  status(): OtlpPushStatus {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      ...this.counts,
      lastSuccessAt: this.lastSuccessAt === null ? null : iso(this.lastSuccessAt),
      lastFailure: this.lastFailure && { ...this.lastFailure, at: iso(this.lastFailure.at) },
    };
  }

  /** Keeps (or, with null, forgets) the collector token in the SecretStore; refuses a read-only store. */
  async storeToken(token: string | null): Promise<void> {
    const name = pushTokenSecretName(this.installationId);
    this.token = null;
    if (token === null) {
      if (this.secrets?.writable) await this.secrets.delete(name);
      return;
    }
    if (!this.secrets?.writable) {
      throw new CoreError('ERR_SECRETS_UNAVAILABLE', `The secret store (${this.secrets?.describe() ?? 'none'}) is read-only, so the collector token cannot be stored; run with the OS keychain available.`);
    }
    await this.secrets.set(name, token);
  }

  /**
   * Called with each batch the recorder wrote. A collector gets each span once, finished: the
   * recorder also writes spans still open (a run's root while a pass runs, a human step while it
   * waits) so that a crash loses nothing, and closes a run's root at the end of every pass, even
   * one that only waits. Those go out when they finish; pushed as written, a collector would hold
   * half-open spans and duplicates.
   */
  written(written: readonly SpanRecord[]): void {
    const settings = this.settings();
    if (!settings.enabled || !settings.endpoint) return;
    const spans = written.filter(isFinished);
    if (spans.length === 0) return;
    const room = this.maxBuffered - this.buffer.length;
    if (room < spans.length) this.counts.droppedSpans += spans.length - Math.max(0, room);
    this.buffer.push(...spans.slice(0, Math.max(0, room)));
    this.inFlight ??= this.drain(settings).finally(() => {
      this.inFlight = null;
    });
  }

  /** Resolves when nothing is waiting to be pushed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Re-reads the setting and the token (after they were changed). */
  reload(): void {
    this.cached = null;
    this.token = null;
  }

  private readToken(): Promise<string | null> {
    if (!this.secrets) return Promise.resolve(null);
    this.token ??= this.secrets.get(pushTokenSecretName(this.installationId));
    return this.token;
  }

  private async headers(settings: PushSettings): Promise<Record<string, string>> {
    let token: string | null;
    try {
      token = await this.readToken();
    } catch {
      this.token = null;
      throw new PushFailure('token_unavailable', `The collector token could not be read from the secret store (${this.secrets?.describe() ?? 'none'}).`);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers[settings.tokenHeader] = settings.tokenHeader === 'authorization' ? `Bearer ${token}` : token;
    return headers;
  }

  /** A connection pool trusting only the CA file, for one drain (closed after it: nothing lingers). */
  private async agent(settings: PushSettings): Promise<Agent | undefined> {
    if (settings.caFile === null) return undefined;
    try {
      return new Agent({ connect: { ca: await readCaFile(settings.caFile), timeout: this.timeoutMs } });
    } catch {
      throw new PushFailure('ca_file', `The CA file ${settings.caFile} cannot be read or holds no PEM certificate.`);
    }
  }

  private async drain(settings: PushSettings): Promise<void> {
    let agent: Agent | undefined;
    let prepared: { headers: Record<string, string> } | PushFailure | null = null;
    try {
      while (this.buffer.length > 0) {
        const spans = this.buffer;
        this.buffer = [];
        try {
          if (prepared === null) {
            agent = await this.agent(settings);
            prepared = { headers: await this.headers(settings) };
          }
          if (prepared instanceof PushFailure) throw prepared;
          const response = await fetch(settings.endpoint!, {
            method: 'POST',
            headers: prepared.headers,
            body: JSON.stringify(this.document(spans, settings.includeContent)),
            redirect: 'manual',
            signal: AbortSignal.timeout(this.timeoutMs),
            ...(agent ? { dispatcher: agent } : {}),
          });
          await response.body?.cancel();
          if (!response.ok) {
            const hint = response.status === 401 || response.status === 403 ? ' — check the token and its header' : '';
            throw new PushFailure('http_status', `The collector answered HTTP ${response.status}${hint}.`);
          }
          this.counts.pushedSpans += spans.length;
          this.lastSuccessAt = this.clock.now();
        } catch (error) {
          const failure = failureOf(error, settings, this.timeoutMs);
          if (prepared === null) prepared = failure;
          this.counts.failedSpans += spans.length;
          this.lastFailure = { at: this.clock.now(), reason: failure.reason, message: failure.message };
          this.logger.warn({ reason: failure.reason, spans: spans.length }, 'a push to the trace collector failed; those spans stay only in the local database');
        }
      }
    } finally {
      await agent?.close();
    }
  }

  /** One TracesData document for spans of several accounts: one resource per account. */
  private document(spans: readonly SpanRecord[], includeContent: boolean) {
    const byAccount = new Map<string, SpanRecord[]>();
    for (const span of spans) (byAccount.get(span.accountId) ?? byAccount.set(span.accountId, []).get(span.accountId)!).push(span);
    return { resourceSpans: [...byAccount].flatMap(([accountId, records]) => toOtlpDocument(records.map((r) => ({
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
  }
}
