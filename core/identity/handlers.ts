import type { MethodHandlers } from '../api/index.ts';
import { CoreError } from '../base/index.ts';
import type { IdentityAdmin } from './admin.ts';
import { startLoopbackRedirect } from './loopbackRedirect.ts';
import type { IdentityService } from './service.ts';

type IdentityMethod =
  | 'auth.status' | 'auth.signInLocal' | 'auth.setupLocal' | 'auth.beginSignIn' | 'auth.signOut' | 'auth.switchAccount'
  | 'admin.accounts.list' | 'admin.accounts.create' | 'admin.accounts.delete' | 'admin.idp.get' | 'admin.idp.set' | 'admin.idp.clear'
  | 'admin.groups.list' | 'admin.groups.map' | 'admin.groups.unmap' | 'admin.members.list' | 'admin.people.names' | 'admin.boundaries.get' | 'admin.boundaries.set'
  | 'admin.sessions.list' | 'admin.sessions.end';

/** The identity area's API: thin adapters from validated, authorized calls to the service. */
export function identityHandlers(identity: IdentityService, admin: IdentityAdmin): Pick<MethodHandlers, IdentityMethod> {
  return {
    'auth.status': (_input, context) => identity.status(context.sessionId),
    'auth.signInLocal': async (input, context) => {
      const session = await identity.signInLocal(input.passphrase, context.requestId);
      context.setSession(session.id);
      return identity.status(session.id);
    },
    'auth.setupLocal': async (input, context) => {
      // First-run setup is for nobody-signed-in-yet only: a signed-in user never claims the local administrator.
      if (context.principal !== null) throw new CoreError('ERR_CONFLICT', 'You are already signed in; the local administrator is set up from the first-run screen only.');
      const session = await identity.setupLocal(input.passphrase, context.requestId);
      context.setSession(session.id);
      return identity.status(session.id);
    },
    'auth.beginSignIn': async (_input, context) => {
      // Desktop (RFC 8252): a one-shot loopback listener receives the IdP's redirect; the session is
      // bound to this caller when the browser comes back, and auth.changed tells the UI.
      const loopback = await startLoopbackRedirect();
      let url: URL;
      try {
        url = await identity.beginSignIn(loopback.redirectUri);
      } catch (error) {
        loopback.close();
        throw error;
      }
      void loopback.result
        .then((callback) => identity.completeSignIn(callback, context.requestId))
        .then((session) => {
          context.setSession(session.id);
          identity.announce(true);
        })
        .catch(() => identity.announce(false));
      return { url: url.href };
    },
    'auth.signOut': (_input, context) => {
      // Public: a session every other call refuses (expired, local after an IdP was configured)
      // still signs out — its row is closed and the cookie cleared.
      if (context.sessionId) identity.signOut(context.sessionId, context.requestId);
      context.setSession(null);
      return { signedOut: true as const };
    },
    'auth.switchAccount': async (input, context) => {
      identity.switchAccount(context.sessionId ?? '', input.accountId, context.requestId);
      return identity.status(context.sessionId);
    },
    'admin.accounts.list': (_input, context) => admin.listAccounts(context.principal),
    'admin.accounts.create': (input, context) => admin.createAccount(input.name, context),
    'admin.accounts.delete': (input, context) => {
      admin.deleteAccount(input.accountId, input.confirmName, context);
      return { deleted: true as const };
    },
    'admin.idp.get': () => admin.idpConfig(),
    'admin.idp.set': async (input, context) => {
      const { clientSecret, ...config } = input;
      const { localSessionsEnded } = await admin.setIdpConfig(config, clientSecret, context);
      return { issuer: config.issuer, localSessionsEnded };
    },
    'admin.idp.clear': (_input, context) => admin.clearIdpConfig(context),
    'admin.groups.list': (input) => admin.groupMappings(input.accountId).map((m) => ({ ...m, createdAt: new Date(m.createdAt).toISOString() })),
    'admin.groups.map': (input, context) => {
      const mapping = admin.mapGroup(input.accountId, input.group, input.role, context);
      return { ...mapping, createdAt: new Date(mapping.createdAt).toISOString() };
    },
    'admin.groups.unmap': (input, context) => {
      admin.unmapGroup(input.accountId, input.mappingId, context);
      return { removed: true as const };
    },
    'admin.members.list': (input) => admin.members(input.accountId),
    'admin.people.names': (input) => admin.names(input.accountId, input.userIds),
    'admin.boundaries.get': (input) => admin.boundaries(input.accountId),
    'admin.boundaries.set': (input, context) => admin.setBoundary(input.accountId, input.role, input.permissions, context),
    'admin.sessions.list': (_input, context) => admin.sessions.list(context),
    'admin.sessions.end': (input, context) => admin.sessions.end(input, context),
  };
}
