import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiError, EventName } from '../../contracts/index.ts';
import { isEventName } from '../../contracts/index.ts';
import { CoreError } from '../../base/index.ts';
import type { EventBus, Logger } from '../../base/index.ts';
import type { Router } from '../router.ts';
import { authorityOf, contentSecurityPolicy, hasValidBearer, isAllowedHost, isAllowedOrigin, isLoopbackAddress } from './guards.ts';
import { httpStatusFor } from './status.ts';

/** Serve mode's browser sign-in (OIDC): the routes a top-level navigation reaches, outside /api. */
export interface HttpSignIn {
  begin(redirectUri: string): Promise<URL>;
  complete(callbackUrl: URL, requestId: string): Promise<{ id: string }>;
}

export interface HttpServerOptions {
  router: Router;
  events: EventBus;
  logger: Logger;
  /**
   * A session for requests that carry no session cookie (API-only tests). Serve mode leaves it
   * unset: the browser signs in and gets a session cookie.
   */
  sessionId?: string;
  signIn?: HttpSignIn;
  host?: string;
  port?: number;
  /** The launch token; generated when omitted. */
  token?: string;
  /** The built renderer to serve at `/`; omitted in API-only tests. */
  staticDir?: string;
  /** Keep-alive comment interval on the event stream. */
  keepAliveMs?: number;
  bodyLimitBytes?: number;
}

export interface HttpServer {
  /** Base URL, e.g. `http://127.0.0.1:4312`. */
  origin: string;
  /** The URL that opens the app already authorised (token in the fragment, never sent to the server). */
  appUrl: string;
  token: string;
  close(): Promise<void>;
}

/** A typed error for a request Fastify could not accept. */
function transportErrorFor(status: number, fastifyCode: string | undefined): ApiError {
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastifyCode === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'ERR_INPUT_INVALID', message: 'The request body is not valid JSON.' };
  }
  if (status === 413) return { code: 'ERR_TRANSPORT_FAILED', message: 'The request body is too large.' };
  if (status === 415) return { code: 'ERR_TRANSPORT_FAILED', message: 'Send the input as JSON (content-type: application/json).' };
  if (status >= 400 && status < 500) return { code: 'ERR_TRANSPORT_FAILED', message: 'The request could not be read.' };
  return { code: 'ERR_INTERNAL', message: 'An internal error occurred.' };
}

/**
 * Where a browser sign-in that failed is sent: the sign-in page with the error code and, when the
 * identity provider itself answered with an OAuth error (`access_denied`: the person cancelled
 * there), that code too — a bare token, checked here; the IdP's free-text description never goes.
 */
function signInFailurePath(error: unknown): string {
  const code = error instanceof CoreError ? error.code : 'ERR_INTERNAL';
  const idpError = error instanceof CoreError ? error.details?.idpError : undefined;
  const query = new URLSearchParams({ error: code });
  if (typeof idpError === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(idpError)) query.set('idp_error', idpError);
  return `/signin?${query.toString()}`;
}

/**
 * The hash a session-scoped event names its session by (`sessionHash`: `auth.sessionEnded`,
 * `auth.sessionChanged`): SHA-256 of the session id, base64url — as identity stores it.
 */
function sessionHashOf(sessionId: string | null): string | null {
  return sessionId === null ? null : createHash('sha256').update(sessionId).digest('base64url');
}

/** An event meant for one session only: its payload names it by `sessionHash`. */
function sessionOfEvent(payload: unknown): string | null {
  const sessionHash = (payload as { sessionHash?: unknown } | null | undefined)?.sessionHash;
  return typeof sessionHash === 'string' ? sessionHash : null;
}

function sendError(reply: FastifyReply, error: ApiError, status = httpStatusFor(error.code)): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ ok: false, error });
}

/**
 * Serve mode: the API as `POST /api/<method>` plus one server-sent-event stream, and the built
 * renderer, on a loopback address only. Fastify gives us body limits, content-type handling and
 * hooks; the guards (token, Origin, Host) are ours and run before any route.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackAddress(host)) {
    throw new CoreError('ERR_INPUT_INVALID', `Serve mode binds loopback addresses only (127.0.0.1 or ::1), not ${host}.`, { details: { host } });
  }
  const token = options.token ?? randomBytes(32).toString('base64url');
  const { router, events, logger } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
  });
  let authority = '';
  let cookieName = '';
  const openStreams = new Set<() => void>();
  await app.register(fastifyCookie);
  /** Cookies are not port-isolated, so the name carries the port: two local servers never share a session. */
  const sessionOf = (request: FastifyRequest): string | null => request.cookies[cookieName] ?? options.sessionId ?? null;
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax', secure: false } as const;
  const bindSession = (reply: FastifyReply) => (sessionId: string | null): void => {
    if (sessionId === null) void reply.clearCookie(cookieName, cookieOptions);
    else void reply.setCookie(cookieName, sessionId, cookieOptions);
  };

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
    if (!isAllowedHost(request.headers.host, authority)) {
      return sendError(reply, { code: 'ERR_AUTH_FORBIDDEN', message: 'Requests must address the loopback host this server bound.' });
    }
    // Decide by the route that matched, not the raw URL: Fastify decodes the path before routing,
    // so `/%61pi/<method>` reaches the API route while its raw URL does not start with /api/.
    const route = request.routeOptions.url ?? '';
    if (!route.startsWith('/api/')) return;
    if (!isAllowedOrigin(request.headers.origin, authority)) {
      return sendError(reply, { code: 'ERR_AUTH_FORBIDDEN', message: 'Cross-origin requests are refused.' });
    }
    if (!hasValidBearer(request.headers.authorization, token)) {
      // details.reason tells clients it is the launch token (serve restarted), not a signed-out session.
      return sendError(reply, { code: 'ERR_AUTH_UNAUTHENTICATED', message: 'A valid bearer token is required.', details: { reason: 'launch-token' } });
    }
  });

  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    // Fastify's own errors (malformed JSON, body too large, wrong content type) become typed errors.
    const status = error.statusCode ?? 500;
    logger.info({ code: error.code, status }, 'http request rejected');
    const apiError = transportErrorFor(status, error.code);
    return sendError(reply, apiError, status >= 400 && status < 600 ? status : httpStatusFor(apiError.code));
  });

  app.post('/api/:method', async (request: FastifyRequest<{ Params: { method: string } }>, reply) => {
    const abort = new AbortController();
    // The response's close, not the request's: Node closes the request stream as soon as its body
    // is read, while the response closes early only when the client went away.
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) abort.abort(); });
    // The account the page shows (see CallContext.expectedAccountId); absent from clients that track none.
    const account = request.headers['x-strongroom-account'];
    const expected = typeof account === 'string' && account.length > 0 && account.length <= 100 ? { expectedAccountId: account } : {};
    const result = await router.call(request.params.method, request.body ?? {}, { sessionId: sessionOf(request), transport: 'http', requestId: request.id, signal: abort.signal, setSession: bindSession(reply), ...expected });
    reply.header('cache-control', 'no-store');
    return result.ok ? reply.send(result) : sendError(reply, result.error);
  });

  app.get('/api/events', (request: FastifyRequest<{ Querystring: { names?: string } }>, reply) => {
    const requested = request.query.names?.split(',').filter(Boolean);
    const unknown = requested?.find((name) => !isEventName(name));
    if (unknown !== undefined) return sendError(reply, { code: 'ERR_API_UNKNOWN_EVENT', message: 'There is no event with this name.', details: { event: unknown.slice(0, 100) } });
    const wanted = requested ? new Set<string>(requested) : undefined;
    const sessionId = sessionOf(request);
    const sessionHash = sessionHashOf(sessionId);
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    response.write(': connected\n\n');
    const unsubscribe = events.subscribe((name: EventName, payload) => {
      if (wanted && !wanted.has(name)) return;
      if (!router.canReceive(name, sessionId, payload)) return;
      // One person's session ending or changing concerns that session's pages (its tabs share the cookie) and no one else's.
      const forSession = sessionOfEvent(payload);
      if (forSession !== null && forSession !== sessionHash) return;
      response.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`);
    });
    const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), options.keepAliveMs ?? 15_000);
    const stop = (): void => {
      clearInterval(keepAlive);
      unsubscribe();
      openStreams.delete(stop);
      response.end();
    };
    openStreams.add(stop);
    request.raw.once('close', stop);
  });

  if (options.signIn) {
    const signIn = options.signIn;
    app.get('/auth/login', async (request, reply) => {
      try {
        return reply.header('cache-control', 'no-store').redirect((await signIn.begin(`http://${authority}/auth/callback`)).href, 302);
      } catch (error) {
        // An IdP that stopped answering since serve started: Strongroom's own page says so, rather
        // than the browser's "site can't be reached" with no way back (RelyingParty.checkReachable).
        const code = error instanceof CoreError ? error.code : 'ERR_INTERNAL';
        logger.info({ requestId: request.id, code }, 'sign-in could not start');
        return reply.header('cache-control', 'no-store').redirect(signInFailurePath(error), 302);
      }
    });
    app.get('/auth/callback', async (request, reply) => {
      try {
        const session = await signIn.complete(new URL(request.url, `http://${authority}`), request.id);
        bindSession(reply)(session.id);
        return reply.header('cache-control', 'no-store').redirect('/', 302);
      } catch (error) {
        const code = error instanceof CoreError ? error.code : 'ERR_INTERNAL';
        logger.info({ requestId: request.id, code }, 'sign-in refused');
        return reply.header('cache-control', 'no-store').redirect(signInFailurePath(error), 302);
      }
    });
  }

  app.all('/api/*', (_request, reply) => sendError(reply, { code: 'ERR_API_UNKNOWN_METHOD', message: 'API methods are called with POST /api/<method>.' }));

  if (options.staticDir) {
    const staticDir = options.staticDir;
    if (!existsSync(join(staticDir, 'index.html'))) {
      throw new CoreError('ERR_NOT_FOUND', `The app is not built (no index.html in ${staticDir}). Run: npm run build:renderer`);
    }
    await app.register(fastifyStatic, { root: staticDir, index: 'index.html', wildcard: false, setHeaders: (reply) => { reply.header('content-security-policy', contentSecurityPolicy); } });
    // Client-side routes (/system, /drafts/…) all load the app shell.
    app.setNotFoundHandler((request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendError(reply, { code: 'ERR_NOT_FOUND', message: 'Not found.' });
      return reply.header('content-security-policy', contentSecurityPolicy).header('cache-control', 'no-store').sendFile('index.html');
    });
  }

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new CoreError('ERR_INTERNAL', 'The server did not report a TCP address.');
  authority = authorityOf(host, address.port);
  cookieName = `strongroom_session_${address.port}`;
  const origin = `http://${authority}`;
  logger.info({ origin }, 'serve mode listening');

  return {
    origin,
    appUrl: `${origin}/#token=${token}`,
    token,
    async close() {
      for (const stop of [...openStreams]) stop();
      await app.close();
    },
  };
}
