// Where the app lives: one custom origin, app://strongroom, plus a loopback dev server in
// development. Security checklist #18, "Avoid usage of the file:// protocol and prefer usage of
// custom protocols": file:// pages share one origin with every file on disk; app:// does not.
import { isLoopbackAddress } from '../../core/api/index.ts';

export const appScheme = 'app';
export const appHost = 'strongroom';
/** The renderer's origin in production. Navigation and IPC are allowed from here only. */
export const appOrigin = `${appScheme}://${appHost}`;
/** What the main window loads; the protocol handler maps `/` to index.html. */
export const appEntryUrl = `${appOrigin}/`;

const hierarchicalSchemes = new Set(['http:', 'https:', `${appScheme}:`]);

/**
 * The origin of a URL as Chromium sees it, or null for opaque or unparsable URLs. Node's
 * `URL.origin` is "null" for custom schemes, so app:// origins are computed here.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (!hierarchicalSchemes.has(parsed.protocol) || parsed.host === '') return null;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/**
 * The dev server's origin when `url` is an http URL on a loopback address (what `npm run dev`
 * starts); anything else is refused, so a stray environment variable cannot point the app at a
 * remote page.
 */
export function devServerOrigin(url: string | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    const host = parsed.hostname === 'localhost' ? '127.0.0.1' : parsed.hostname;
    return parsed.protocol === 'http:' && isLoopbackAddress(host) ? originOf(url) : null;
  } catch {
    return null;
  }
}
