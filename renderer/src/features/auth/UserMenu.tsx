import { useState } from 'react';
import type { ApiError } from '../../../../core/contracts/index.ts';
import { useAuth } from './AuthContext.tsx';
import { TopbarMenu } from './TopbarMenu.tsx';

/** The signed-in user: who, how they signed in, and sign-out. */
export function UserMenu() {
  const { status, signOut } = useAuth();
  const [error, setError] = useState<ApiError | null>(null);
  const user = status.user!;
  return (
    <TopbarMenu testId="user-menu" label={<><span className="visually-hidden">Signed in as </span>{user.displayName}</>}>
      <dl className="facts facts-compact">
        <dt>Signed in as</dt>
        <dd>{user.displayName}</dd>
        {user.email && (<><dt>Email</dt><dd>{user.email}</dd></>)}
        <dt>Through</dt>
        <dd>{user.kind === 'local-admin' ? 'Local administrator passphrase (local mode)' : <code>{status.idp?.issuer ?? 'identity provider'}</code>}</dd>
        {status.offlineUntil && (<><dt>Offline until</dt><dd>{new Date(status.offlineUntil).toLocaleString()}</dd></>)}
      </dl>
      <button type="button" onClick={() => { void signOut().then(setError); }}>Sign out</button>
      {error && <p role="alert" className="inline-error">{error.message} (<code>{error.code}</code>)</p>}
    </TopbarMenu>
  );
}
