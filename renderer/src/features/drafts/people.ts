/** Someone who may have acted on a draft, as `admin.members.list` and `auth.status` describe them. */
export interface KnownPerson {
  userId: string;
  displayName: string;
}

/**
 * Names people by their user id: the account's members (one `admin.members.list` call) and the
 * signed-in user, whoever else is not known here (a former member) by the id itself.
 */
export function personNamer(people: readonly KnownPerson[], me: KnownPerson | null): (userId: string) => string {
  const names = new Map<string, string>();
  for (const person of people) if (person.displayName.trim() !== '') names.set(person.userId, person.displayName);
  if (me && me.displayName.trim() !== '') names.set(me.userId, me.displayName);
  return (userId) => names.get(userId) ?? userId;
}
