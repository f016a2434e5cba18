/**
 * Drives an authorization request through the test IdP's login and consent forms the way a
 * browser would (following redirects, keeping cookies), and returns the final redirect to the
 * relying party's callback without requesting it. Tests use it where a real browser is overkill;
 * the e2e journeys use Chromium instead.
 */
export async function signInThroughIdp(authorizationUrl: URL, login: string, callbackPrefix: string): Promise<URL> {
  return throughIdp(authorizationUrl, callbackPrefix, { login });
}

/**
 * The same walk, but the person clicks "[ Cancel ]" on the IdP's first form: returns the redirect
 * back to the relying party, which carries `error=access_denied` (and the IdP's description).
 */
export async function cancelAtIdp(authorizationUrl: URL, callbackPrefix: string): Promise<URL> {
  return throughIdp(authorizationUrl, callbackPrefix, { cancel: true });
}

async function throughIdp(authorizationUrl: URL, callbackPrefix: string, person: { login: string } | { cancel: true }): Promise<URL> {
  const cookies = new Map<string, string>();
  const cookieHeader = (): string => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (response: Response): void => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair?.indexOf('=') ?? -1;
      if (pair && index > 0) cookies.set(pair.slice(0, index), pair.slice(index + 1));
    }
  };

  let url = authorizationUrl.href;
  let body: URLSearchParams | undefined;
  for (let hop = 0; hop < 20; hop += 1) {
    if (url.startsWith(callbackPrefix)) return new URL(url);
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(body ? { body } : {}),
    });
    remember(response);
    body = undefined;
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    if ('cancel' in person) {
      const abort = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(html)?.[1];
      if (!abort) throw new Error(`test IdP returned ${response.status} without a Cancel link: ${html.slice(0, 300)}`);
      url = new URL(abort.replaceAll('&amp;', '&'), url).href;
      continue;
    }
    const login = person.login;
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`test IdP returned ${response.status} without a form or redirect: ${html.slice(0, 300)}`);
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'not-checked' } : { prompt });
  }
  throw new Error('too many redirects while signing in through the test IdP');
}
