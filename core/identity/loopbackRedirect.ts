import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreError } from '../base/index.ts';

export interface LoopbackRedirect {
  redirectUri: string;
  /** Resolves with the full callback URL (code and state in its query) once the browser arrives. */
  result: Promise<URL>;
  close(): void;
}

const page = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:system-ui;margin:4rem auto;max-width:32rem"><h1>${title}</h1><p>${text}</p></body>`;

/**
 * The native-app redirect of RFC 8252 §7.3: a one-shot listener on 127.0.0.1 at a random port.
 * It accepts exactly one request to its callback path and then closes; it answers nothing else.
 */
export async function startLoopbackRedirect(options: { timeoutMs?: number } = {}): Promise<LoopbackRedirect> {
  let settle: { resolve: (url: URL) => void; reject: (error: unknown) => void } | undefined;
  const result = new Promise<URL>((resolve, reject) => { settle = { resolve, reject }; });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', redirectUri);
    if (request.method !== 'GET' || url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    const failed = url.searchParams.has('error');
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
    response.end(failed ? page('Sign-in did not complete', 'Return to Strongroom to try again.') : page('Signed in', 'You can close this tab and return to Strongroom.'));
    settle?.resolve(url);
    close();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const timer = setTimeout(() => {
    settle?.reject(new CoreError('ERR_AUTH_SIGNIN_FAILED', 'Sign-in was not completed in the browser in time. Start it again.', { details: { reason: 'attempt-expired' } }));
    close();
  }, options.timeoutMs ?? 5 * 60_000);
  timer.unref();
  function close(): void {
    clearTimeout(timer);
    server.closeAllConnections();
    server.close();
  }
  return { redirectUri, result, close };
}
