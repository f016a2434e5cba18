import { createContext, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import { useApiQuery } from '../../bridge/context.tsx';
import { useAuth } from '../auth/AuthContext.tsx';
import { personNamer } from './people.ts';

const PeopleContext = createContext<(userId: string) => string>((userId) => userId);

/**
 * Lets everything in a draft name people (started by, comments, approved by, last change) from one
 * `admin.members.list` call for the account, not a lookup per person. Until it answers, or if it
 * is refused, people show by id — except the signed-in user, known from `auth.status`.
 */
export function PeopleProvider({ children }: { children: ReactNode }) {
  const { account, status } = useAuth();
  const { state } = useApiQuery('admin.members.list', { accountId: account.id });
  const members = state.status === 'ok' ? state.value : null;
  const myId = status.user?.id ?? null;
  const myName = status.user?.displayName ?? '';
  const nameOf = useMemo(() => personNamer(members ?? [], myId === null ? null : { userId: myId, displayName: myName }), [members, myId, myName]);
  return <PeopleContext.Provider value={nameOf}>{children}</PeopleContext.Provider>;
}

/** How to name a user id in the drafts views: their display name where it is known. */
export function usePersonName(): (userId: string) => string {
  return useContext(PeopleContext);
}
