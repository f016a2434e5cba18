import * as oidc from 'openid-client';
import type { JSONWebKeySet } from 'jose';
import { CoreError } from '../base/index.ts';
import type { Clock } from '../base/index.ts';
import type { IdpConfig } from '../contracts/index.ts';
import { verifyIdToken } from './idToken.ts';
import type { VerifiedIdToken } from './idToken.ts';

/** Where the IdP's signing keys are kept between runs (encrypted at rest by the identity store). */
export interface JwksCache {
  load(issuer: string): { jwks: JSONWebKeySet; fetchedAt: number } | undefined;
  save(issuer: string, jwks: JSONWebKeySet, fetchedAt: number): void;
}

/** What must survive between sending the browser to the IdP and its redirect back. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  createdAt: number;
}

export interface SignInResult {
  token: VerifiedIdToken;
  displayName: string;
  email: string | null;
  groups: string[];
  refreshToken: string | null;
}

export interface RelyingPartyOptions {
  config: IdpConfig;
  clientSecret?: string | null;
  clock: Clock;
  jwksCache: JwksCache;
  /** Network timeout for discovery, token and key requests. */
  timeoutMs?: number;
}

const pendingLifetimeMs = 10 * 60_000;
/** How long the answer to "is the IdP up?" is trusted before sending another browser there. */
const reachableForMs = 5_000;
/** The reachability check waits at most this long: a person is waiting for the sign-in page. */
const reachabilityTimeoutMs = 3_000;

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost');
}

function unreachable(cause: unknown): CoreError {
  return new CoreError('ERR_AUTH_IDP_UNREACHABLE', 'The identity provider cannot be reached. Check the network or try again later.', { cause });
}

/**
 * The OIDC relying party: authorization code + PKCE + state + nonce with openid-client, and every
 * ID token verified again by our own strict validator (pinned algorithms, known key id, injected
 * clock) against a JWKS we cache, so sign-in decisions never depend on a library default.
 * Plain-http issuers are accepted only on loopback (test and development IdPs).
 */
export class RelyingParty {
  readonly config: IdpConfig;
  private readonly clientSecret: string | null;
  private readonly clock: Clock;
  private readonly jwksCache: JwksCache;
  private readonly timeoutMs: number;
  private discovered: Promise<oidc.Configuration> | undefined;
  /** The last reachability check: its time and promise (shared by everyone who asks meanwhile). */
  private reachability: { at: number; check: Promise<void> } | undefined;

  constructor(options: RelyingPartyOptions) {
    this.config = options.config;
    this.clientSecret = options.clientSecret ?? null;
    this.clock = options.clock;
    this.jwksCache = options.jwksCache;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  private discover(): Promise<oidc.Configuration> {
    this.discovered ??= (async () => {
      const issuer = new URL(this.config.issuer);
      const insecure = issuer.protocol === 'http:';
      if (insecure && !isLoopbackHttp(issuer)) {
        throw new CoreError('ERR_AUTH_NOT_CONFIGURED', 'The identity provider must use https (plain http is accepted only on this machine, for testing).');
      }
      const metadata: Partial<oidc.ClientMetadata> = this.config.algorithms.length === 1 ? { id_token_signed_response_alg: this.config.algorithms[0] } : {};
      const auth = this.clientSecret ? oidc.ClientSecretBasic(this.clientSecret) : oidc.None();
      try {
        return await oidc.discovery(issuer, this.config.clientId, metadata, auth, { timeout: this.timeoutMs / 1000, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) });
      } catch (error) {
        throw unreachable(error);
      }
    })();
    this.discovered.catch(() => { this.discovered = undefined; });
    return this.discovered;
  }

  /**
   * Fetches the issuer's discovery document (the issuer's own host only) and checks it names this
   * issuer: what saving a configuration asks, so a mistyped or unreachable issuer is refused then.
   */
  async checkDiscovery(): Promise<void> {
    await this.discover();
  }

  /**
   * Whether the IdP answers now: its discovery document, on the configured issuer's own host (no
   * redirect followed), within a few seconds. Discovery itself is cached for good, so without this
   * an IdP that went down after Strongroom started would get the browser sent to a dead address.
   * One check serves every sign-in for a few seconds, so a rush of clicks costs one request.
   */
  async checkReachable(): Promise<void> {
    const now = this.clock.now();
    if (!this.reachability || now - this.reachability.at > reachableForMs) {
      this.reachability = { at: now, check: this.probe() };
    }
    await this.reachability.check;
  }

  private async probe(): Promise<void> {
    const issuer = this.config.issuer.endsWith('/') ? this.config.issuer : `${this.config.issuer}/`;
    const discoveryUrl = new URL('.well-known/openid-configuration', issuer);
    let status: number;
    try {
      const response = await fetch(discoveryUrl, { redirect: 'manual', signal: AbortSignal.timeout(Math.min(this.timeoutMs, reachabilityTimeoutMs)), headers: { accept: 'application/json' } });
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      throw unreachable(error);
    }
    // A server error page is no better than none for the person about to be sent there.
    if (status >= 500) throw unreachable(new Error(`HTTP ${status}`));
  }

  /**
   * Builds the authorization URL for the browser and the secrets the callback must match, once the
   * IdP has answered (checkReachable): ERR_AUTH_IDP_UNREACHABLE rather than a browser error page.
   */
  async begin(redirectUri: string): Promise<{ url: URL; pending: PendingSignIn }> {
    const configuration = await this.discover();
    await this.checkReachable();
    const pending: PendingSignIn = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      redirectUri,
      createdAt: this.clock.now(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.config.scopes.join(' '),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url, pending };
  }

  /** Exchanges the code from the IdP's redirect and verifies the ID token. */
  async complete(callbackUrl: URL, pending: PendingSignIn): Promise<SignInResult> {
    if (this.clock.now() - pending.createdAt > pendingLifetimeMs) {
      throw new CoreError('ERR_AUTH_SIGNIN_FAILED', 'This sign-in attempt took too long. Start it again.', { details: { reason: 'attempt-expired' } });
    }
    const configuration = await this.discover();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.signInFailure(error);
    }
    if (!tokens.id_token) throw new CoreError('ERR_AUTH_TOKEN_INVALID', 'Sign-in refused: the identity provider returned no ID token.', { details: { reason: 'claim-missing' } });
    const token = await this.verify(tokens.id_token, pending.nonce);
    const claims = token.claims;
    const groupsClaim = claims[this.config.groupsClaim];
    const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === 'string') : [];
    const name = typeof claims.name === 'string' ? claims.name : typeof claims.preferred_username === 'string' ? claims.preferred_username : token.subject;
    return { token, displayName: name, email: typeof claims.email === 'string' ? claims.email : null, groups, refreshToken: tokens.refresh_token ?? null };
  }

  /** Uses a refresh token; proves the session is still valid at the IdP. Returns the new refresh token. */
  async refresh(refreshToken: string): Promise<{ refreshToken: string | null; groups: string[] | null }> {
    const configuration = await this.discover();
    try {
      const tokens = await oidc.refreshTokenGrant(configuration, refreshToken);
      const claims = tokens.claims();
      const groupsClaim = claims?.[this.config.groupsClaim];
      return { refreshToken: tokens.refresh_token ?? refreshToken, groups: Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === 'string') : null };
    } catch (error) {
      throw this.signInFailure(error);
    }
  }

  private async verify(idToken: string, nonce: string): Promise<VerifiedIdToken> {
    const expectations = { issuer: this.config.issuer, clientId: this.config.clientId, algorithms: this.config.algorithms, nonce, now: this.clock.now() };
    let cached = this.jwksCache.load(this.config.issuer);
    if (!cached) cached = await this.fetchKeys();
    try {
      return await verifyIdToken(idToken, { ...expectations, jwks: cached.jwks });
    } catch (error) {
      // The IdP may have rotated its keys since we cached them: fetch once more, then decide.
      if (error instanceof CoreError && (error.details?.reason === 'key-id-unknown' || error.details?.reason === 'signature-invalid')) {
        const fresh = await this.fetchKeys();
        return verifyIdToken(idToken, { ...expectations, jwks: fresh.jwks });
      }
      throw error;
    }
  }

  private async fetchKeys(): Promise<{ jwks: JSONWebKeySet; fetchedAt: number }> {
    const configuration = await this.discover();
    const jwksUri = configuration.serverMetadata().jwks_uri;
    if (!jwksUri) throw new CoreError('ERR_AUTH_NOT_CONFIGURED', 'The identity provider publishes no signing keys (jwks_uri).');
    let jwks: JSONWebKeySet;
    try {
      const response = await fetch(jwksUri, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      jwks = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(jwks.keys)) throw new Error('no keys array');
    } catch (error) {
      throw unreachable(error);
    }
    const fetchedAt = this.clock.now();
    this.jwksCache.save(this.config.issuer, jwks, fetchedAt);
    return { jwks, fetchedAt };
  }

  private signInFailure(error: unknown): CoreError {
    if (error instanceof CoreError) return error;
    // The IdP's own OAuth error code (`access_denied` when the person cancelled there) travels as
    // `idpError`; its free-text description never does.
    if (error instanceof oidc.ResponseBodyError) {
      return new CoreError('ERR_AUTH_SIGNIN_FAILED', 'The identity provider refused to complete the sign-in. Start it again.', { details: { reason: error.error, idpError: error.error } });
    }
    if (error instanceof oidc.AuthorizationResponseError) {
      return new CoreError('ERR_AUTH_SIGNIN_FAILED', 'The identity provider did not sign you in.', { details: { reason: error.error, idpError: error.error } });
    }
    if (error instanceof oidc.ClientError) {
      if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') return unreachable(error);
      // openid-client wraps oauth4webapi's specific finding in `cause`.
      const detail = `${error.message} ${error.cause instanceof Error ? error.cause.message : ''}`.toLowerCase();
      if (detail.includes('"state"')) return new CoreError('ERR_AUTH_SIGNIN_FAILED', 'This sign-in response does not belong to a sign-in started here.', { details: { reason: 'state-mismatch' } });
      if (detail.includes('nonce')) return new CoreError('ERR_AUTH_TOKEN_INVALID', "Sign-in refused: the identity provider's token does not belong to this sign-in attempt (nonce).", { details: { reason: 'nonce-mismatch' } });
      if (detail.includes('"alg"')) return new CoreError('ERR_AUTH_TOKEN_INVALID', "Sign-in refused: the identity provider's token is signed with an algorithm this installation does not allow.", { details: { reason: 'algorithm-not-allowed' } });
      return new CoreError('ERR_AUTH_TOKEN_INVALID', "Sign-in refused: the identity provider's response failed validation.", { details: { reason: 'response-invalid', check: error.code ?? 'unknown' } });
    }
    return unreachable(error);
  }
}
