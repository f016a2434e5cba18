import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import Provider from 'oidc-provider';

/** A directory user of the test IdP: `login` is the subject; `groups` go into the ID token. */
export interface TestUser {
  login: string;
  name: string;
  email: string;
  groups: string[];
}

export interface TestIdp {
  issuer: string;
  clientId: string;
  users: Map<string, TestUser>;
  /** Replace a user's groups, as a directory admin would. */
  setGroups(login: string, groups: string[]): void;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`, OpenID Certified) on loopback, with users in groups,
 * a public native client with PKCE required, and RFC 8252 loopback redirects on any port. Its dev
 * interactions (a plain login + consent form) are what `signInThroughIdp` fills in.
 */
export async function startTestIdp(options: { users: TestUser[]; algorithm?: 'RS256' | 'PS256' | 'ES256'; clientId?: string }): Promise<TestIdp> {
  const users = new Map(options.users.map((u) => [u.login, { ...u }]));
  const clientId = options.clientId ?? 'strongroom-desktop';
  const algorithm = options.algorithm ?? 'RS256';
  const keyPair = algorithm === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...keyPair.privateKey.export({ format: 'jwk' }), kid: `test-${algorithm.toLowerCase()}`, alg: algorithm, use: 'sig' };

  // Bind first, so the issuer carries the real port.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/auth/callback'],
      id_token_signed_response_alg: algorithm,
    }],
    jwks: { keys: [jwk] },
    enabledJWA: { idTokenSigningAlgValues: [algorithm] },
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    issueRefreshToken: () => true,
    ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, RefreshToken: 86_400, Grant: 86_400, Session: 86_400, Interaction: 600 },
    findAccount: (_context, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => ({ sub, name: user.name, email: user.email, groups: [...user.groups] }) };
    },
  });
  provider.on('server_error', () => undefined);
  const handle = provider.callback();
  server.on('request', (request, response) => { void handle(request, response); });

  return {
    issuer,
    clientId,
    users,
    setGroups(login, groups) {
      const user = users.get(login);
      if (user) user.groups = groups;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
