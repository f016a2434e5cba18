import type { MethodOutput } from '../../../../core/contracts/index.ts';

export type SessionRow = MethodOutput<'admin.sessions.list'>[number];

/** What an administrator asked to end: one session, or every session of the person in that row. */
export type SessionEnding = { kind: 'session'; row: SessionRow } | { kind: 'person'; row: SessionRow };

/** What ending it does, as far as the list shows: how many sessions, and whether the caller's own is one. */
export function endingReach(rows: readonly SessionRow[], ending: SessionEnding): { count: number; includesOwn: boolean } {
  const reached = ending.kind === 'session' ? rows.filter((row) => row.handle === ending.row.handle) : rows.filter((row) => row.userId === ending.row.userId);
  return { count: Math.max(reached.length, 1), includesOwn: reached.some((row) => row.own) };
}

/** Whether a row is its person's first in the list (the list comes grouped by person): "End all sessions of …" goes there. */
export function firstOfPerson(rows: readonly SessionRow[], index: number): boolean {
  return index === 0 || rows[index - 1]?.userId !== rows[index]?.userId;
}

/** What the status line says once sessions ended. */
export function endedAnnouncement(ended: number, name: string, includedOwn: boolean): string {
  // Nothing was left to end: another administrator or the person got there first.
  if (ended === 0) return `There was nothing left to end: ${name}’s session had already ended (another administrator ended it, or they signed out).`;
  const what = ended === 1 ? `${name}’s session ended` : `${ended} sessions of ${name} ended`;
  return includedOwn
    ? `${what}. Yours was one of them: this page goes to the sign-in page now.`
    : `${what}. Their open pages now show the sign-in page, saying an administrator ended the session.`;
}
