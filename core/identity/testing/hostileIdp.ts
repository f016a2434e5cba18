import { generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK } from 'jose';
import type { JWK } from 'jose';

/** What the attacker's token endpoint returns, given the nonce the relying party sent. */
export type Forge = (context: { issuer: string; clientId: string; nonce: string; key: KeyObject; publicJwk: JWK }) => Promise<string>;

export interface HostileIdp {
  issuer: string;
  forge: Forge;
  stop(): Promise<void>;
}

/**
 * An identity provider that follows the protocol but signs whatever the test tells it to: the
 * only way to put forged ID tokens (alg none, key confusion, wrong audience, …) through the real
 * sign-in path, which no certified provider will do. Happy paths use the real oidc-provider.
 */
export async function startHostileIdp(clientId: string): Promise<HostileIdp> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: 'hostile-1', alg: 'RS256', use: 'sig' };
  const nonces = new Map<string, string>();
  let issuer = '';
  const idp: HostileIdp = {
    issuer: '',
    forge: () => Promise.reject(new Error('no forgery configured')),
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const json = (response: ServerResponse, body: unknown) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(response, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (url.pathname === '/jwks') return json(response, { keys: [publicJwk] });
    if (url.pathname === '/authorize') {
      const code = `code-${nonces.size + 1}`;
      nonces.set(code, url.searchParams.get('nonce') ?? '');
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      response.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/token' && request.method === 'POST') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const code = new URLSearchParams(body).get('code') ?? '';
        void idp.forge({ issuer, clientId, nonce: nonces.get(code) ?? '', key: privateKey, publicJwk }).then((idToken) => {
          json(response, { access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
        });
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp.issuer = issuer;
  return idp;
}
