import { z } from 'zod';
import { defineEvent, defineMethod } from './define.ts';
import { PermissionSchema } from './permissions.ts';
import { RoleSchema } from './roles.ts';

export const AccountIdSchema = z.string().min(1).max(100);
export const AccountNameSchema = z.string().trim().min(1).max(80).regex(/^[\p{L}\p{N} ._&()-]+$/u, 'letters, digits, spaces and . _ & ( ) - only');
export const GroupNameSchema = z.string().trim().min(1).max(256);
export const SigningAlgorithmSchema = z.enum(['RS256', 'PS256', 'ES256']);

/** An account the user may act in, once, with every role they hold there (several groups can map). */
export const AccountMembershipSchema = z.object({ id: z.string(), name: z.string(), roles: z.array(RoleSchema).min(1) });

/**
 * Why a session ended: signed out (in another tab or window), its active account's access removed,
 * the IdP refusing to vouch for it again (refresh refused), its fixed lifetime over, the IdP
 * unreachable for longer than the offline grace period, local sign-in turned off by configuring an
 * IdP, the IdP removed (back to local mode), an administrator ending it (`admin.sessions.end`),
 * or — once Strongroom no longer remembers why — `ended`.
 */
export const SessionEndReasonSchema = z.enum(['signed-out', 'access-removed', 'refresh-refused', 'lifetime', 'offline-grace', 'local-sign-in-off', 'idp-removed', 'ended-by-admin', 'ended']);
export type SessionEndReason = z.infer<typeof SessionEndReasonSchema>;

export const SessionEndedSchema = z.object({
  reason: SessionEndReasonSchema,
  /** `access-removed`: the account the session was acting in. */
  accountName: z.string().nullable(),
  /** `lifetime`: how many hours a session lasts; `offline-grace`: the grace period in hours. */
  hours: z.number().nullable(),
});

export const AuthStatusSchema = z.object({
  mode: z.enum(['local', 'oidc']),
  signedIn: z.boolean(),
  /** Local mode's first run: the local administrator has no passphrase yet (see auth.setupLocal). */
  localSetupRequired: z.boolean(),
  user: z.object({ id: z.string(), displayName: z.string(), email: z.string().nullable(), kind: z.enum(['local-admin', 'user']) }).nullable(),
  activeAccount: AccountMembershipSchema.nullable(),
  accounts: z.array(AccountMembershipSchema),
  idp: z.object({ issuer: z.string() }).nullable(),
  /** Set while the session runs on its cached verification because the IdP is unreachable. */
  offlineUntil: z.string().nullable(),
  /** While signed in: when the session's fixed lifetime ends, whatever else happens. */
  sessionEndsAt: z.string().nullable(),
  /**
   * While signed out: why the session this browser or window still names ended, told only to its
   * holder (the session cookie, the desktop's session) — null when it names none or nobody knows.
   */
  sessionEnded: SessionEndedSchema.nullable(),
});
export type AuthStatus = z.infer<typeof AuthStatusSchema>;

export const IdpConfigSchema = z.object({
  issuer: z.url({ protocol: /^https?$/ }),
  clientId: z.string().min(1).max(256),
  groupsClaim: z.string().min(1).max(100).default('groups'),
  algorithms: z.array(SigningAlgorithmSchema).min(1).default(['RS256']),
  offlineGraceHours: z.number().min(0).max(24 * 30).default(8),
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/)).default(['openid', 'profile', 'email', 'groups', 'offline_access']),
});
export type IdpConfig = z.infer<typeof IdpConfigSchema>;

/** Hosts on which a plain-http issuer is accepted: this machine only (test and development IdPs). */
const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether an issuer URL may be configured: https, or http on a loopback host. */
export function issuerTransportAllowed(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname));
  } catch {
    return false;
  }
}

/** A new issuer: an https URL (plain http only on this machine). Stored configurations are read with IdpConfigSchema. */
const IssuerInputSchema = IdpConfigSchema.shape.issuer.refine((issuer) => !URL.canParse(issuer) || issuerTransportAllowed(issuer), 'must use https (plain http only for an identity provider on this machine: 127.0.0.1, [::1], localhost)');

export const GroupMappingSchema = z.object({ id: z.string(), accountId: z.string(), group: z.string(), role: RoleSchema, createdAt: z.string() });
/** A person named by their user id, for pages that show who did something. */
export const PersonNameSchema = z.object({ userId: z.string(), displayName: z.string() });
export const MemberSchema = z.object({
  userId: z.string(),
  displayName: z.string(),
  email: z.string().nullable(),
  role: RoleSchema,
  source: z.enum(['group', 'local']),
  lastSignInAt: z.string().nullable(),
});
export const BoundarySchema = z.object({ role: RoleSchema, permissions: z.array(PermissionSchema).nullable() });

/**
 * A session handle: the SHA-256 (base64url) of the session id, as identity stores it and as
 * `auth.sessionEnded` names a session. Nothing a cookie could be rebuilt from.
 */
export const SessionHandleSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a session handle as admin.sessions.list gives it');

/** A signed-in session as an administrator sees it (admin.sessions.list). */
export const AdminSessionSchema = z.object({
  handle: SessionHandleSchema,
  userId: z.string(),
  displayName: z.string(),
  /** The person's email as the identity provider gave it, to tell apart two people of the same name; null when none. */
  email: z.string().nullable(),
  kind: z.enum(['local', 'oidc']),
  /** The account the session is acting in now. */
  accountId: z.string(),
  accountName: z.string(),
  startedAt: z.string(),
  /** When the identity provider last vouched for it (sign-in or refresh); a local session: its sign-in. */
  verifiedAt: z.string(),
  /** Its last call or open page, to the minute (a session left on a lost laptop stops moving); null if not used since it started. */
  lastSeenAt: z.string().nullable(),
  /** When its fixed lifetime ends, whatever happens in it. */
  endsAt: z.string(),
  /** The caller's own session (ending it signs the caller out). */
  own: z.boolean(),
});
export type AdminSession = z.infer<typeof AdminSessionSchema>;

const byAccount = (input: { accountId: string }) => ({ accountId: input.accountId });

export const identityMethods = {
  'auth.status': defineMethod({
    summary: 'Who is signed in, in which account, and how this installation signs people in.',
    input: z.object({}).strict(),
    output: AuthStatusSchema,
    permission: 'public',
  }),
  'auth.signInLocal': defineMethod({
    summary: 'Sign in as the local administrator (local mode, no IdP configured).',
    input: z.object({ passphrase: z.string().min(1).max(1024) }).strict(),
    output: AuthStatusSchema,
    permission: 'public',
    audit: true,
  }),
  'auth.setupLocal': defineMethod({
    summary: 'First run in local mode: choose the local administrator passphrase and sign in. Refused once one exists.',
    input: z.object({ passphrase: z.string().min(12, 'at least 12 characters').max(1024) }).strict(),
    output: AuthStatusSchema,
    permission: 'public',
    audit: true,
  }),
  'auth.beginSignIn': defineMethod({
    summary: 'Start an OIDC sign-in in the system browser (desktop); returns the URL to open.',
    input: z.object({}).strict(),
    output: z.object({ url: z.string() }),
    permission: 'public',
  }),
  'auth.signOut': defineMethod({
    summary: 'End this session and forget its refresh token. Public: it also clears a session that is no longer valid (expired, or local after an IdP was configured).',
    input: z.object({}).strict(),
    output: z.object({ signedOut: z.literal(true) }),
    permission: 'public',
    audit: true,
  }),
  'auth.switchAccount': defineMethod({
    summary: 'Act in another account this user belongs to.',
    input: z.object({ accountId: AccountIdSchema }).strict(),
    output: AuthStatusSchema,
    permission: 'signed-in',
    audit: true,
  }),
  'admin.accounts.list': defineMethod({
    summary: 'Accounts on this installation (installation administrators) or the caller’s own.',
    input: z.object({}).strict(),
    output: z.array(z.object({ id: z.string(), name: z.string(), createdAt: z.string(), members: z.number().int() })),
    permission: 'account.read',
  }),
  'admin.accounts.create': defineMethod({
    summary: 'Create an isolated account with its own data key.',
    input: z.object({ name: AccountNameSchema }).strict(),
    output: z.object({ id: z.string(), name: z.string() }),
    permission: 'installation.manage',
    audit: true,
  }),
  'admin.accounts.delete': defineMethod({
    summary: 'Delete an account and destroy its data key (crypto-shredding). Irreversible.',
    input: z.object({ accountId: AccountIdSchema, confirmName: z.string() }).strict(),
    output: z.object({ deleted: z.literal(true) }),
    permission: 'installation.manage',
    audit: true,
  }),
  'admin.idp.get': defineMethod({
    summary: 'The configured identity provider, or null in local mode.',
    input: z.object({}).strict(),
    output: IdpConfigSchema.extend({ hasClientSecret: z.boolean() }).nullable(),
    permission: 'installation.manage',
  }),
  'admin.idp.set': defineMethod({
    summary: 'Configure the enterprise identity provider (OIDC). Refused unless a group is mapped to admin in the administration account and the issuer publishes its discovery document; local sign-in (and every local session) ends.',
    input: IdpConfigSchema.extend({ issuer: IssuerInputSchema, clientSecret: z.string().min(1).max(4096).optional() }).strict(),
    output: z.object({ issuer: z.string(), localSessionsEnded: z.number().int() }),
    permission: 'installation.manage',
    audit: true,
  }),
  'admin.idp.clear': defineMethod({
    summary: 'Remove the identity provider and return to local mode: IdP sessions end, the local administrator signs in again (`strongroom admin idp clear`).',
    input: z.object({}).strict(),
    output: z.object({ cleared: z.boolean(), issuer: z.string().nullable(), sessionsEnded: z.number().int() }),
    permission: 'installation.manage',
    audit: true,
  }),
  'admin.groups.list': defineMethod({
    summary: 'IdP groups mapped to roles in an account.',
    input: z.object({ accountId: AccountIdSchema }).strict(),
    output: z.array(GroupMappingSchema),
    permission: 'groups.manage',
    resource: byAccount,
  }),
  'admin.groups.map': defineMethod({
    summary: 'Map an IdP group to a role in an account; applies at each member’s next sign-in. Works in local mode too, so an admin group can be mapped before the IdP is configured. `created: false`: it was mapped already (nothing changed, nothing audited).',
    input: z.object({ accountId: AccountIdSchema, group: GroupNameSchema, role: RoleSchema }).strict(),
    output: GroupMappingSchema.extend({ created: z.boolean() }),
    permission: 'groups.manage',
    resource: byAccount,
    audit: true,
  }),
  'admin.groups.unmap': defineMethod({
    summary: 'Remove a group mapping; members lose that role when their sessions are next checked with the IdP (within 15 minutes) or at their next sign-in. Refused for the last admin mapping of the administration account while an IdP is configured.',
    input: z.object({ accountId: AccountIdSchema, mappingId: z.string().min(1).max(100) }).strict(),
    output: z.object({ removed: z.literal(true) }),
    permission: 'groups.manage',
    resource: byAccount,
    audit: true,
  }),
  'admin.members.list': defineMethod({
    summary: 'Members of an account with their roles.',
    input: z.object({ accountId: AccountIdSchema }).strict(),
    output: z.array(MemberSchema),
    permission: 'account.read',
    resource: byAccount,
  }),
  'admin.people.names': defineMethod({
    summary: 'Display names for user ids shown on an account’s pages (who changed a policy): its members, the installation’s administrators, the local administrator and the local operator. Others are left out.',
    input: z.object({ accountId: AccountIdSchema, userIds: z.array(z.string().min(1).max(100)).max(100) }).strict(),
    output: z.array(PersonNameSchema),
    permission: 'account.read',
    resource: byAccount,
  }),
  'admin.boundaries.get': defineMethod({
    summary: 'Permission boundaries per role in an account (null: the role’s full permissions).',
    input: z.object({ accountId: AccountIdSchema }).strict(),
    output: z.array(BoundarySchema),
    permission: 'account.read',
    resource: byAccount,
  }),
  'admin.boundaries.set': defineMethod({
    summary: 'Cap what a role may do in an account; null removes the cap. A cap on admin keeps what undoing a cap needs (the permissions of admin.boundaries.get and .set).',
    input: z.object({ accountId: AccountIdSchema, role: RoleSchema, permissions: z.array(PermissionSchema).nullable() }).strict(),
    output: BoundarySchema,
    permission: 'boundaries.manage',
    resource: byAccount,
    audit: true,
  }),
  'admin.sessions.list': defineMethod({
    summary: 'Sessions signed in now that the caller administers: every session for installation administrators; for an account administrator, those acting in their account (a person acting in another account is not listed, even if also a member here).',
    input: z.object({}).strict(),
    output: z.array(AdminSessionSchema),
    permission: 'members.manage',
  }),
  'admin.sessions.end': defineMethod({
    summary: 'End one session (`handle`) or every session of one person (`userId`) that the caller administers, as admin.sessions.list shows them; audited, and their open pages go to the sign-in page saying an administrator ended the session. A handle or person the caller cannot see is refused exactly as one that does not exist.',
    input: z.union([z.object({ handle: SessionHandleSchema }).strict(), z.object({ userId: z.string().min(1).max(100) }).strict()]),
    output: z.object({ ended: z.number().int() }),
    permission: 'members.manage',
    audit: true,
  }),
};

export const identityEvents = {
  /** A desktop sign-in finished (or failed) out of band: ask auth.status again. */
  'auth.changed': defineEvent({ payload: z.object({ signedIn: z.boolean() }), permission: 'public' }),
  /**
   * One session ended — signed out, refused by the IdP, access removed, local sign-in turned off,
   * the IdP removed. For that session only: `sessionHash` is the SHA-256 (base64url) of its id, and
   * serve's event stream delivers the event only to streams opened with that session, so ending one
   * person's session never reaches anyone else's pages. Public, since an ended session has no
   * principal; pages still confirm with auth.status before they leave.
   */
  'auth.sessionEnded': defineEvent({ payload: z.object({ sessionHash: z.string().min(1).max(100), reason: SessionEndReasonSchema }), permission: 'public' }),
  /**
   * What one session may do changed — a boundary set, roles re-evaluated at a refresh with the IdP,
   * an account created or deleted — while it goes on: its pages ask auth.status again, so what they
   * offer follows at once. Scoped like `auth.sessionEnded` (serve delivers it to that session's
   * streams only); carries nothing but the session's hash.
   */
  'auth.sessionChanged': defineEvent({ payload: z.object({ sessionHash: z.string().min(1).max(100) }), permission: 'public' }),
};
