import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ApiMethods, ApiResult, EventContract, EventName, MethodContract, MethodName, MethodOutput } from '../contracts/index.ts';
import { apiEvents, apiMethods, isEventName, isMethodName, toInputIssues } from '../contracts/index.ts';
import { CoreError, isCoreError, storageFailure } from '../base/index.ts';
import type { Logger } from '../base/index.ts';
import { can } from './principal.ts';
import type { Principal, ResourceRef } from './principal.ts';
import type { SessionResolver } from './sessions.ts';

export type Transport = 'in-process' | 'http' | 'ipc';

/** What a transport knows about one call. The principal is not here: the router resolves it. */
export interface CallContext {
  sessionId: string | null;
  transport: Transport;
  requestId?: string;
  signal?: AbortSignal;
  /** Lets sign-in and sign-out methods bind a new session to this transport's client. */
  setSession?: (sessionId: string | null) => void;
  /**
   * The account the calling page shows. Tabs share one session, so another tab may have switched
   * it meanwhile: an account-scoped call from a page of another account is then refused before
   * anything runs (ERR_AUTH_ACCOUNT_CHANGED), instead of acting in the account the page does not show.
   */
  expectedAccountId?: string;
}

interface BaseHandlerContext {
  requestId: string;
  signal: AbortSignal | undefined;
  transport: Transport;
  sessionId: string | null;
  /** Binds a session to the calling client (cookie, window, or in-process bridge). */
  setSession(sessionId: string | null): void;
}

/** Context for methods that need a signed-in caller. */
export interface HandlerContext extends BaseHandlerContext {
  principal: Principal;
}

/** Context for `public` methods (sign-in itself), whose caller may not be signed in yet. */
export interface PublicHandlerContext extends BaseHandlerContext {
  principal: Principal | null;
}

export type MethodHandler<M extends MethodName> = (
  input: z.output<ApiMethods[M]['input']>,
  context: ApiMethods[M]['permission'] extends 'public' ? PublicHandlerContext : HandlerContext,
) => MethodOutput<M> | Promise<MethodOutput<M>>;

export type MethodHandlers = { [M in MethodName]: MethodHandler<M> };

export type CallOutcome = 'ok' | 'denied' | 'invalid' | 'failed';

/** Where an ERR_STORAGE_TAMPERED failure points (its details name table, row and column). */
function tamperedAt(result: ApiResult<unknown>): { table: string; rowId: string; column: string } {
  const details = (result.ok ? undefined : result.error.details) ?? {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { table: text(details.table), rowId: text(details.rowId), column: text(details.column) };
}

export interface AuditRecord {
  method: MethodName;
  requestId: string;
  transport: Transport;
  principal: Principal | null;
  outcome: CallOutcome;
  errorCode?: string;
  /**
   * For a denial: what the caller asked for (`run:<id>`, `trace:<id>`…), as the refusing handler
   * named it (`CoreError.deniedResource`). An id, never content.
   */
  resource?: string;
  /** For ERR_STORAGE_TAMPERED: where (table, row id, column) — identifiers, never content. */
  tampered?: { table: string; rowId: string; column: string };
}

/** Called for every security-relevant call and every denial. The audit issue makes it durable. */
export interface AuditHook {
  record(record: AuditRecord): void;
}

export interface RouterOptions {
  handlers: MethodHandlers;
  sessions: SessionResolver;
  logger: Logger;
  audit?: AuditHook;
}

export interface Router {
  call(method: string, input: unknown, context: CallContext): Promise<ApiResult<unknown>>;
  /**
   * Whether a session may receive an event; transports filter their streams with it. For
   * account-scoped events pass the payload: only principals acting in its account receive it.
   */
  canReceive(event: EventName, sessionId: string | null, payload?: unknown): boolean;
}

function failure(error: CoreError): { ok: false; error: ReturnType<CoreError['toApiError']> } {
  return { ok: false, error: error.toApiError() };
}

/**
 * The one place every call goes through, whatever the transport: resolve the principal → validate
 * input → authorize → run the handler → validate output → audit → envelope.
 */
export function createRouter(options: RouterOptions): Router {
  const { handlers, sessions, logger, audit } = options;

  async function call(method: string, rawInput: unknown, context: CallContext): Promise<ApiResult<unknown>> {
    const requestId = context.requestId ?? randomUUID();
    const started = performance.now();
    const log = logger.child({ requestId, transport: context.transport });

    if (!isMethodName(method)) {
      log.info({ code: 'ERR_API_UNKNOWN_METHOD' }, 'api call rejected');
      return failure(new CoreError('ERR_API_UNKNOWN_METHOD', 'There is no API method with this name.', { details: { method: String(method).slice(0, 100) } }));
    }
    const contract: MethodContract = apiMethods[method];
    const permission = contract.permission;
    const principal = sessions.resolve(context.sessionId)?.principal ?? null;
    const finish = (outcome: CallOutcome, result: ApiResult<unknown>, resource?: string): ApiResult<unknown> => {
      const errorCode = result.ok ? undefined : result.error.code;
      log.info({ method, outcome, code: errorCode, ...(resource !== undefined ? { resource } : {}), ms: Math.round(performance.now() - started) }, 'api call');
      // Stored content found altered is evidence, whichever method found it: always recorded.
      const tampered = errorCode === 'ERR_STORAGE_TAMPERED' ? tamperedAt(result) : undefined;
      if (audit && (contract.audit === true || outcome === 'denied' || tampered !== undefined)) {
        audit.record({ method, requestId, transport: context.transport, principal, outcome, ...(errorCode ? { errorCode } : {}), ...(resource !== undefined ? { resource } : {}), ...(tampered ? { tampered } : {}) });
      }
      return result;
    };

    if (!principal && permission !== 'public') {
      return finish('denied', failure(new CoreError('ERR_AUTH_UNAUTHENTICATED', 'Sign in to use Strongroom.')));
    }
    if (principal && context.expectedAccountId !== undefined && permission !== 'public' && permission !== 'signed-in' && principal.accountId !== null && principal.accountId !== context.expectedAccountId) {
      return finish('invalid', failure(new CoreError('ERR_AUTH_ACCOUNT_CHANGED', 'This page belongs to another account: Strongroom was switched to another account in another tab or window. Nothing was done; reload to continue in the account now chosen.', { details: { activeAccountId: principal.accountId } })));
    }
    const parsed = contract.input.safeParse(rawInput ?? {});
    if (!parsed.success) {
      return finish('invalid', failure(new CoreError('ERR_INPUT_INVALID', `Invalid input for ${method}.`, { details: { issues: toInputIssues(parsed.error) } })));
    }
    if (principal && permission !== 'public' && permission !== 'signed-in') {
      const resource: ResourceRef | undefined = contract.resource?.(parsed.data);
      if (!can(principal, permission, resource)) {
        // The same answer whether the resource exists elsewhere or not at all: nothing is revealed.
        return finish('denied', failure(new CoreError('ERR_AUTH_FORBIDDEN', 'You do not have permission to do this.')));
      }
    }
    let sessionId = context.sessionId;
    const handlerContext: PublicHandlerContext = {
      principal,
      requestId,
      signal: context.signal,
      transport: context.transport,
      get sessionId() { return sessionId; },
      setSession(next) {
        sessionId = next;
        context.setSession?.(next);
      },
    };
    try {
      // The contract was looked up by this method's name, so its parsed input is this handler's input.
      const handler = handlers[method] as (input: unknown, context: HandlerContext) => unknown;
      const value = await handler(parsed.data, handlerContext as HandlerContext);
      const output = contract.output.safeParse(value);
      if (!output.success) {
        log.error({ method, code: 'ERR_OUTPUT_INVALID', issues: toInputIssues(output.error).map((issue) => issue.path) }, 'handler returned output that breaks its contract');
        return finish('failed', failure(new CoreError('ERR_OUTPUT_INVALID', 'The server produced an invalid response.')));
      }
      return finish('ok', { ok: true, value: output.data });
    } catch (error) {
      // A refusal a handler decides (a four-eyes rule, an id not in the caller's account) is a
      // denial like the router's own, audited as one with the resource the handler named.
      if (isCoreError(error)) return finish(error.code === 'ERR_AUTH_FORBIDDEN' || error.deniedResource !== undefined ? 'denied' : 'failed', failure(error), error.deniedResource);
      // A full or read-only disk is the operator's to fix, not a bug: said as such, with SQLite's code.
      const disk = storageFailure(error);
      if (disk) {
        log.error({ method, code: disk.code, sqlite: disk.details?.sqlite }, 'storage failed');
        return finish('failed', failure(disk));
      }
      // Log the error's type and stack frames, not its message: messages can carry content.
      const stack = error instanceof Error ? error.stack?.split('\n').slice(1, 8).join('\n') : undefined;
      log.error({ method, code: 'ERR_INTERNAL', errorType: error instanceof Error ? error.name : typeof error, stack }, 'handler failed');
      return finish('failed', failure(new CoreError('ERR_INTERNAL', 'An internal error occurred. The request id is in the log.', { details: { requestId } })));
    }
  }

  function canReceive(event: EventName, sessionId: string | null, payload?: unknown): boolean {
    if (!isEventName(event)) return false;
    const contract: EventContract = apiEvents[event];
    const principal = sessions.resolve(sessionId)?.principal;
    if (contract.permission === 'public') return true;
    if (!principal || !can(principal, contract.permission)) return false;
    if (contract.userScoped === true) {
      const userId = (payload as { userId?: unknown } | undefined)?.userId;
      if (typeof userId !== 'string' || userId !== principal.userId) return false;
    }
    if (contract.accountScoped !== true) return true;
    // null on both sides: an installation-level operator (the CLI) hearing its own account-less events.
    const accountId = (payload as { accountId?: unknown } | undefined)?.accountId;
    return (typeof accountId === 'string' || accountId === null) && accountId === principal.accountId;
  }

  return { call, canReceive };
}
