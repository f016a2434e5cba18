// Serves the built renderer from app://strongroom. Security checklist #18, "Avoid usage of the
// file:// protocol and prefer usage of custom protocols", and #7, "Define a Content Security
// Policy": every response carries core's strict CSP (the same header serve mode sends).
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { CustomScheme } from 'electron';
import { contentSecurityPolicy } from '../../core/api/index.ts';
import { appHost, appScheme } from './appOrigin.ts';

/** Registered before `app.ready`: standard (real origin, relative URLs) and secure (like https). */
export const privilegedSchemes: CustomScheme[] = [
  { scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
];

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff',
  '.ttf': 'font/ttf', '.wasm': 'application/wasm', '.txt': 'text/plain; charset=utf-8', '.webmanifest': 'application/manifest+json',
};

export type AppFile = { kind: 'file'; path: string } | { kind: 'forbidden' };

/**
 * Maps an app:// URL to a file inside `root`, or refuses it. Chromium has already removed `..`
 * segments, so the danger is what decoding reveals (`..%2f`, `%5c`, NUL); the final check is that
 * the resolved path is still inside root, whatever the platform's separators.
 */
export function resolveAppFile(root: string, requestUrl: string): AppFile {
  let pathname: string;
  try {
    const url = new URL(requestUrl);
    if (url.protocol !== `${appScheme}:` || url.host !== appHost) return { kind: 'forbidden' };
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return { kind: 'forbidden' };
  }
  if (pathname.includes('\0')) return { kind: 'forbidden' };
  const base = resolve(root);
  const path = resolve(base, `.${sep}${pathname}`);
  const inside = relative(base, path);
  if (inside === '') return { kind: 'file', path: resolve(base, 'index.html') };
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return { kind: 'forbidden' };
  return { kind: 'file', path };
}

function respond(status: number, body: Uint8Array | string | null, contentType: string): Response {
  return new Response(body, {
    status,
    headers: {
      'content-type': contentType,
      'content-security-policy': contentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    },
  });
}

async function readOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return null;
  }
}

/**
 * The `protocol.handle('app', …)` handler. A missing path without an extension is a client-side
 * route, so it gets index.html (SPA fallback); a missing asset is a 404, never HTML.
 */
export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return respond(405, null, 'text/plain; charset=utf-8');
    const file = resolveAppFile(root, request.url);
    if (file.kind === 'forbidden') return respond(403, 'Forbidden', 'text/plain; charset=utf-8');
    const body = await readOrNull(file.path);
    const head = request.method === 'HEAD';
    if (body) return respond(200, head ? null : body, contentTypes[extname(file.path).toLowerCase()] ?? 'application/octet-stream');
    const index = extname(file.path) === '' ? await readOrNull(resolve(root, 'index.html')) : null;
    return index ? respond(200, head ? null : index, 'text/html; charset=utf-8') : respond(404, 'Not found', 'text/plain; charset=utf-8');
  };
}
