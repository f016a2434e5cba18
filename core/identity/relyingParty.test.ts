import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../base/index.ts';
import { IdpConfigSchema } from '../contracts/index.ts';
import { RelyingParty } from './relyingParty.ts';
import type { JwksCache } from './relyingParty.ts';
import { signInThroughIdp } from './testing/browserFlow.ts';
import { startTestIdp } from './testing/testIdp.ts';
import type { TestIdp } from './testing/testIdp.ts';

let idp: TestIdp;
const redirectUri = 'http://127.0.0.1:45999/callback';

function memoryJwksCache(): JwksCache & { saved: number } {
  const store = new Map<string, { jwks: JSONWebKeySet; fetchedAt: number }>();
  const cache = {
    saved: 0,
    load: (issuer: string) => store.get(issuer),
    save: (issuer: string, jwks: JSONWebKeySet, fetchedAt: number) => { cache.saved += 1; store.set(issuer, { jwks, fetchedAt }); },
  };
  return cache;
}

function relyingParty(cache: JwksCache = memoryJwksCache(), algorithms: Array<'RS256' | 'ES256'> = ['RS256']) {
  return new RelyingParty({ config: IdpConfigSchema.parse({ issuer: idp.issuer, clientId: idp.clientId, algorithms }), clock: systemClock, jwksCache: cache });
}

beforeAll(async () => {
  idp = await startTestIdp({ users: [{ login: 'alice', name: 'Alice Analyst', email: 'alice@bank.example', groups: ['credit-analysts', 'staff'] }] });
});
afterAll(async () => { await idp.stop(); });

describe('RelyingParty against a real OpenID provider', () => {
  it('completes the code flow with PKCE and returns verified identity and groups', async () => {
    const cache = memoryJwksCache();
    const rp = relyingParty(cache);
    const { url, pending } = await rp.begin(redirectUri);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBe(pending.state);
    expect(url.searchParams.get('nonce')).toBe(pending.nonce);
    expect(url.searchParams.get('code_challenge')).not.toBe(pending.codeVerifier);
    const callback = await signInThroughIdp(url, 'alice', redirectUri);
    const result = await rp.complete(callback, pending);
    expect(result.token.subject).toBe('alice');
    expect(result.token.issuer).toBe(idp.issuer);
    expect(result.displayName).toBe('Alice Analyst');
    expect(result.email).toBe('alice@bank.example');
    expect(result.groups).toEqual(['credit-analysts', 'staff']);
    expect(result.refreshToken).toEqual(expect.any(String));
    expect(cache.saved).toBe(1);

    const refreshed = await rp.refresh(result.refreshToken!);
    expect(refreshed.refreshToken).toEqual(expect.any(String));
  });

  it('refuses a replayed authorization code', async () => {
    const rp = relyingParty();
    const { url, pending } = await rp.begin(redirectUri);
    const callback = await signInThroughIdp(url, 'alice', redirectUri);
    await rp.complete(callback, pending);
    await expect(rp.complete(callback, pending)).rejects.toMatchObject({ code: 'ERR_AUTH_SIGNIN_FAILED', details: { reason: 'invalid_grant' } });
  });

  it('refuses a callback whose state belongs to another attempt', async () => {
    const rp = relyingParty();
    const first = await rp.begin(redirectUri);
    const second = await rp.begin(redirectUri);
    const callback = await signInThroughIdp(first.url, 'alice', redirectUri);
    await expect(rp.complete(callback, second.pending)).rejects.toMatchObject({ code: 'ERR_AUTH_SIGNIN_FAILED', details: { reason: 'state-mismatch' } });
  });

  it('refuses tokens signed with an algorithm the installation did not pin', async () => {
    const rp = relyingParty(memoryJwksCache(), ['ES256']);
    const { url, pending } = await rp.begin(redirectUri);
    const callback = await signInThroughIdp(url, 'alice', redirectUri);
    await expect(rp.complete(callback, pending)).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID', details: { reason: 'algorithm-not-allowed' } });
  });

  it('reports an unreachable IdP as ERR_AUTH_IDP_UNREACHABLE', async () => {
    const rp = new RelyingParty({ config: IdpConfigSchema.parse({ issuer: 'http://127.0.0.1:9/', clientId: 'x' }), clock: systemClock, jwksCache: memoryJwksCache(), timeoutMs: 2000 });
    await expect(rp.begin(redirectUri)).rejects.toMatchObject({ code: 'ERR_AUTH_IDP_UNREACHABLE' });
  });
});
