import { describe, expect, it } from 'vitest';
import { endedAnnouncement, endingReach, firstOfPerson } from './sessionRows.ts';
import type { SessionRow } from './sessionRows.ts';

const row = (handle: string, userId: string, own = false): SessionRow => ({
  handle: handle.padEnd(43, 'x'),
  userId,
  displayName: userId,
  email: null,
  kind: 'oidc',
  accountId: 'a',
  accountName: 'Default',
  startedAt: '2026-01-01T08:00:00.000Z',
  verifiedAt: '2026-01-01T08:00:00.000Z',
  lastSeenAt: null,
  endsAt: '2026-01-01T20:00:00.000Z',
  own,
});

describe('ending sessions from the Sessions panel', () => {
  const rows = [row('a1', 'alice'), row('a2', 'alice'), row('c1', 'carol', true), row('c2', 'carol')];

  it('reaches one session, or every listed session of the person, and says when the caller’s own is among them', () => {
    expect(endingReach(rows, { kind: 'session', row: rows[0]! })).toEqual({ count: 1, includesOwn: false });
    expect(endingReach(rows, { kind: 'person', row: rows[1]! })).toEqual({ count: 2, includesOwn: false });
    expect(endingReach(rows, { kind: 'session', row: rows[3]! })).toEqual({ count: 1, includesOwn: false });
    expect(endingReach(rows, { kind: 'person', row: rows[3]! })).toEqual({ count: 2, includesOwn: true });
  });

  it('offers "end all" once per person, on their first row', () => {
    expect(rows.map((_, index) => firstOfPerson(rows, index))).toEqual([true, false, true, false]);
  });

  it('announces what ended, and that this page leaves when its own session was one', () => {
    expect(endedAnnouncement(1, 'Alice', false)).toBe('Alice’s session ended. Their open pages now show the sign-in page, saying an administrator ended the session.');
    expect(endedAnnouncement(2, 'Carol', true)).toBe('2 sessions of Carol ended. Yours was one of them: this page goes to the sign-in page now.');
    // Two administrators at once: the second finds nothing left to end, and is told so rather than shown an error.
    expect(endedAnnouncement(0, 'Anna', false)).toBe('There was nothing left to end: Anna’s session had already ended (another administrator ended it, or they signed out).');
  });
});
