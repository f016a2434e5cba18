import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyIdToken } from './idToken.ts';
import type { IdTokenExpectations } from './idToken.ts';

const issuer = 'https://idp.bank.example';
const clientId = 'strongroom-desktop';
const now = Date.UTC(2026, 10, 21, 9, 0, 0);
const nowSeconds = Math.floor(now / 1000);
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
let jwks: JSONWebKeySet;

beforeAll(async () => {
  jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] };
});

const baseClaims = (): JWTPayload => ({ iss: issuer, sub: 'alice', aud: clientId, iat: nowSeconds - 5, exp: nowSeconds + 300, nonce: 'n-123' });

function sign(claims: JWTPayload, options: { alg?: string; kid?: string | null; key?: Parameters<SignJWT['sign']>[0] } = {}): Promise<string> {
  const header: { alg: string; kid?: string } = { alg: options.alg ?? 'RS256' };
  if (options.kid !== null) header.kid = options.kid ?? 'rsa-1';
  return new SignJWT(claims).setProtectedHeader(header).sign(options.key ?? rsa.privateKey);
}

const expectations = (overrides: Partial<IdTokenExpectations> = {}): IdTokenExpectations => ({ issuer, clientId, algorithms: ['RS256', 'ES256'], jwks, nonce: 'n-123', now, ...overrides });

async function rejection(token: string, overrides: Partial<IdTokenExpectations> = {}): Promise<string | undefined> {
  try {
    await verifyIdToken(token, expectations(overrides));
    return undefined;
  } catch (error) {
    const e = error as { code: string; details?: { reason?: string }; message: string };
    expect(e.code).toBe('ERR_AUTH_TOKEN_INVALID');
    if (token.length >= 20) expect(e.message).not.toContain(token.slice(0, 20));
    return e.details?.reason;
  }
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('verifyIdToken', () => {
  it('accepts a well-formed token signed with a pinned algorithm and known key', async () => {
    const verified = await verifyIdToken(await sign(baseClaims()), expectations());
    expect(verified).toMatchObject({ subject: 'alice', keyId: 'rsa-1' });
    const viaEc = await verifyIdToken(await sign(baseClaims(), { alg: 'ES256', kid: 'ec-1', key: ec.privateKey }), expectations());
    expect(viaEc.keyId).toBe('ec-1');
  });

  it('refuses alg "none"', async () => {
    const unsigned = `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64(baseClaims())}.`;
    expect(await rejection(unsigned)).toBe('algorithm-not-allowed');
  });

  it('refuses HS256 signed with the RSA public key as the HMAC secret (key confusion)', async () => {
    const publicPem = rsa.publicKey.export({ format: 'pem', type: 'spki' });
    const head = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64(baseClaims())}`;
    const forged = `${head}.${createHmac('sha256', publicPem).update(head).digest('base64url')}`;
    expect(await rejection(forged)).toBe('algorithm-not-allowed');
  });

  it('refuses an algorithm that is valid but not pinned', async () => {
    expect(await rejection(await sign(baseClaims(), { alg: 'ES256', kid: 'ec-1', key: ec.privateKey }), { algorithms: ['RS256'] })).toBe('algorithm-not-allowed');
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    expect(await rejection(await sign({ ...baseClaims(), iss: 'https://evil.example' }))).toBe('issuer-mismatch');
    expect(await rejection(await sign({ ...baseClaims(), aud: 'another-app' }))).toBe('audience-mismatch');
  });

  it('refuses an authorized party other than this client, and multiple audiences without azp', async () => {
    expect(await rejection(await sign({ ...baseClaims(), azp: 'another-app' }))).toBe('authorized-party-mismatch');
    expect(await rejection(await sign({ ...baseClaims(), aud: [clientId, 'another-app'] }))).toBe('authorized-party-mismatch');
    expect(await rejection(await sign({ ...baseClaims(), aud: [clientId, 'another-app'], azp: clientId }))).toBeUndefined();
  });

  it('allows expiry within 60 s of skew and refuses beyond it', async () => {
    expect(await rejection(await sign({ ...baseClaims(), exp: nowSeconds - 30 }))).toBeUndefined();
    expect(await rejection(await sign({ ...baseClaims(), exp: nowSeconds - 61 }))).toBe('expired');
    // A configured skew above 60 s is capped at 60 s.
    expect(await rejection(await sign({ ...baseClaims(), exp: nowSeconds - 120 }), { skewSeconds: 600 })).toBe('expired');
  });

  it('refuses nbf and iat in the future beyond the skew', async () => {
    expect(await rejection(await sign({ ...baseClaims(), nbf: nowSeconds + 30 }))).toBeUndefined();
    expect(await rejection(await sign({ ...baseClaims(), nbf: nowSeconds + 120 }))).toBe('not-yet-valid');
    expect(await rejection(await sign({ ...baseClaims(), iat: nowSeconds + 120 }))).toBe('issued-in-future');
  });

  it('refuses a missing or unknown key id', async () => {
    expect(await rejection(await sign(baseClaims(), { kid: null }))).toBe('key-id-missing');
    expect(await rejection(await sign(baseClaims(), { kid: 'rotated-away' }))).toBe('key-id-unknown');
  });

  it('refuses a bad signature: another key under a known kid, or a tampered payload', async () => {
    expect(await rejection(await sign(baseClaims(), { key: otherRsa.privateKey }))).toBe('signature-invalid');
    const [head, , signature] = (await sign(baseClaims())).split('.');
    expect(await rejection(`${head}.${b64({ ...baseClaims(), sub: 'mallory' })}.${signature}`)).toBe('signature-invalid');
  });

  it('refuses a missing or mismatched nonce', async () => {
    const { nonce: _omitted, ...withoutNonce } = baseClaims();
    expect(await rejection(await sign(withoutNonce))).toBe('nonce-mismatch');
    expect(await rejection(await sign({ ...baseClaims(), nonce: 'n-other' }))).toBe('nonce-mismatch');
  });

  it('refuses garbage', async () => {
    expect(await rejection('not.a.jwt')).toBe('malformed');
    expect(await rejection('')).toBe('malformed');
  });
});
