import { describe, expect, it } from 'vitest';
import { personNamer } from './people.ts';

describe('personNamer', () => {
  it('names members and the signed-in user by display name, anyone else by id', () => {
    const nameOf = personNamer([{ userId: '6efe1960-aaaa', displayName: 'Rita Reviewer' }, { userId: 'blank', displayName: ' ' }], { userId: 'me-1', displayName: 'Ann Analyst' });
    expect(nameOf('6efe1960-aaaa')).toBe('Rita Reviewer');
    expect(nameOf('me-1')).toBe('Ann Analyst');
    expect(nameOf('blank')).toBe('blank');
    expect(nameOf('gone-2')).toBe('gone-2');
  });
});
