/**
 * Where to go after signing in: the address someone opened while signed out (a deep link to a
 * trace, say), if it is one of this app's own pages. Only same-origin paths qualify — never
 * another origin, a protocol-relative `//host`, the sign-in endpoints or the API.
 */

const storageKey = 'strongroom.returnTo';
/** Whose page it was, when a session ended on it: another person signing in next does not go there. */
const ownerKey = 'strongroom.returnTo.user';

/** `path?query#hash` of `candidate` if it is an app page on `origin`, else null. */
export function appPathOf(candidate: string, origin: string): string | null {
  // Relative references only: an absolute URL or `//host` names another place, even if it resolves here.
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) return null;
  let url: URL;
  try {
    url = new URL(candidate, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  const path = url.pathname;
  if (path === '/' || path === '/signin' || path.startsWith('/auth/') || path === '/auth' || path.startsWith('/api/') || path === '/api') return null;
  // The sign-in page's own parameters (?error=, ?notice=) never travel along: they belong to it.
  return `${path}${url.search}${url.hash}`;
}

interface Place { pathname: string; search: string; hash: string; origin: string }

/** Where a local sign-in continues: the page that was asked for, else the start page. */
export function afterSignIn(place: Place): string {
  return appPathOf(`${place.pathname}${place.search}${place.hash}`, place.origin) ?? '/';
}

/**
 * Before leaving for the identity provider (serve mode: /auth/login, which comes back to `/`):
 * keep the asked-for page in this tab's sessionStorage. A non-app page (the sign-in page after a
 * refused attempt) keeps what an earlier attempt remembered.
 */
export function rememberReturnPath(place: Place, storage: Pick<Storage, 'setItem' | 'removeItem'>, userId?: string): void {
  const path = afterSignIn(place);
  if (path === '/') return;
  storage.setItem(storageKey, path);
  // A page someone was on when their session ended is theirs; a page asked for while signed out is anyone's.
  if (userId === undefined) storage.removeItem(ownerKey);
  else storage.setItem(ownerKey, userId);
}

/** Once signed in: the remembered page (used once), if it is still an app page. */
export function takeReturnPath(origin: string, storage: Pick<Storage, 'getItem' | 'removeItem'>, userId?: string): string | null {
  const stored = storage.getItem(storageKey);
  const owner = storage.getItem(ownerKey);
  if (stored === null) return null;
  storage.removeItem(storageKey);
  storage.removeItem(ownerKey);
  // Someone else's page (their session ended there, then another person signed in): not shown to them.
  if (owner !== null && userId !== undefined && owner !== userId) return null;
  return appPathOf(stored, origin);
}
