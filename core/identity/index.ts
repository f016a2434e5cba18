// core/identity: who may act, and as whom — OIDC sign-in (openid-client + a strict jose
// validator), local-mode passphrase sign-in, sessions, accounts, group mappings, roles and boundaries.
export { IdentityAdmin } from './admin.ts';
export { identityHandlers } from './handlers.ts';
export { idTokenRejected, verifyIdToken } from './idToken.ts';
export type { IdTokenExpectations, IdTokenRejection, VerifiedIdToken } from './idToken.ts';
export { startLoopbackRedirect } from './loopbackRedirect.ts';
export { generatePassphrase, hashPassphrase, verifyPassphrase } from './passphrase.ts';
export { buildPrincipal, rolesFromGroups } from './principals.ts';
export { RelyingParty } from './relyingParty.ts';
export type { JwksCache, PendingSignIn, SignInResult } from './relyingParty.ts';
export { IdentityService } from './service.ts';
export { firstResolver, hashSessionId } from './sessions.ts';
export type { LiveSession } from './sessions.ts';
export { IdentityStore } from './store.ts';
export { memorySessionSlot, rememberedSession } from './rememberedSession.ts';
export type { SessionSlot } from './rememberedSession.ts';
