import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import { CoreError } from '../base/index.ts';

export type SigningAlgorithm = 'RS256' | 'PS256' | 'ES256';

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  /** Pinned by configuration; anything else — `none`, HS256, … — is refused before any key is used. */
  algorithms: readonly SigningAlgorithm[];
  /** The IdP's keys (cached, so an offline laptop can still verify within its grace period). */
  jwks: JSONWebKeySet;
  nonce: string;
  /** Milliseconds since the epoch, injected. */
  now: number;
  /** Allowed clock skew; at most 60 s. */
  skewSeconds?: number;
}

export interface VerifiedIdToken {
  subject: string;
  issuer: string;
  claims: JWTPayload;
  keyId: string;
}

/** Why a token was refused; stable strings for logs, audit entries and tests. */
export type IdTokenRejection =
  | 'malformed'
  | 'algorithm-not-allowed'
  | 'key-id-missing'
  | 'key-id-unknown'
  | 'signature-invalid'
  | 'issuer-mismatch'
  | 'audience-mismatch'
  | 'authorized-party-mismatch'
  | 'expired'
  | 'not-yet-valid'
  | 'issued-in-future'
  | 'nonce-mismatch'
  | 'claim-missing';

const explanations: Record<IdTokenRejection, string> = {
  'malformed': 'it is not a well-formed signed JWT',
  'algorithm-not-allowed': 'it is signed with an algorithm this installation does not allow',
  'key-id-missing': 'it does not name its signing key',
  'key-id-unknown': "it is signed with a key the identity provider does not publish",
  'signature-invalid': 'its signature does not verify',
  'issuer-mismatch': 'it was issued by a different identity provider',
  'audience-mismatch': 'it was issued for a different application',
  'authorized-party-mismatch': 'it was issued to a different authorized party',
  'expired': 'it has expired',
  'not-yet-valid': 'it is not valid yet',
  'issued-in-future': 'it claims to be issued in the future',
  'nonce-mismatch': 'it does not belong to this sign-in attempt (nonce)',
  'claim-missing': 'a required claim is missing',
};

export function idTokenRejected(reason: IdTokenRejection): CoreError {
  return new CoreError('ERR_AUTH_TOKEN_INVALID', `Sign-in refused: the identity provider's token was rejected because ${explanations[reason]}.`, { details: { reason } });
}

function classify(error: unknown): IdTokenRejection {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature-invalid';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'key-id-unknown';
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return 'key-id-unknown';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm-not-allowed';
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'issuer-mismatch';
    if (error.claim === 'aud') return 'audience-mismatch';
    if (error.claim === 'nbf') return 'not-yet-valid';
    if (error.claim === 'iat') return 'issued-in-future';
    if (error.reason === 'missing') return 'claim-missing';
  }
  return 'malformed';
}

/**
 * Verifies an ID token strictly (OIDC Core 3.1.3.7): pinned algorithms, a known key id, the
 * signature against the IdP's published keys, issuer, audience, authorized party, exp / iat / nbf
 * within the allowed skew, and the nonce of this sign-in attempt. Throws ERR_AUTH_TOKEN_INVALID
 * with a reason; nothing is trusted until it returns.
 */
export async function verifyIdToken(token: string, expect: IdTokenExpectations): Promise<VerifiedIdToken> {
  const skew = Math.min(expect.skewSeconds ?? 60, 60);
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw idTokenRejected('malformed');
  }
  if (typeof header.alg !== 'string' || !(expect.algorithms as readonly string[]).includes(header.alg)) throw idTokenRejected('algorithm-not-allowed');
  if (typeof header.kid !== 'string' || header.kid === '') throw idTokenRejected('key-id-missing');
  if (!expect.jwks.keys.some((key) => key.kid === header.kid)) throw idTokenRejected('key-id-unknown');

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(expect.jwks), {
      issuer: expect.issuer,
      audience: expect.clientId,
      algorithms: [...expect.algorithms],
      clockTolerance: skew,
      currentDate: new Date(expect.now),
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
    }));
  } catch (error) {
    throw idTokenRejected(classify(error));
  }
  const nowSeconds = expect.now / 1000;
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + skew) throw idTokenRejected('issued-in-future');
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.azp !== undefined && payload.azp !== expect.clientId) throw idTokenRejected('authorized-party-mismatch');
  if (audiences.length > 1 && payload.azp === undefined) throw idTokenRejected('authorized-party-mismatch');
  if (typeof payload.nonce !== 'string' || payload.nonce !== expect.nonce) throw idTokenRejected('nonce-mismatch');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw idTokenRejected('claim-missing');
  return { subject: payload.sub, issuer: expect.issuer, claims: payload, keyId: header.kid };
}
