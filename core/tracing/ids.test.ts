import { describe, expect, it } from 'vitest';
import { parentPath, spanClock } from './ids.ts';

describe('span times', () => {
  it('date spans by the wall clock, advance them by the monotonic clock, and follow the wall clock after a sleep', () => {
    let wall = Date.UTC(2026, 10, 21, 9, 0, 0);
    let mono = 5_000;
    const now = spanClock(() => wall, () => mono);
    expect(now()).toBe(wall * 1000);
    // Normal running: both advance together; sub-millisecond precision comes from the monotonic clock.
    wall += 250;
    mono += 250.5;
    expect(now()).toBe((wall + 0.5) * 1000);
    // The laptop slept for eight hours: the monotonic clock barely moved, the wall clock did.
    wall += 8 * 3_600_000;
    mono += 3;
    expect(now()).toBe(wall * 1000);
    // Small wall-clock jitter (NTP slewing) is not followed: times stay monotonic and exact.
    wall += 100;
    mono += 100.25;
    const before = now();
    expect(before).toBe((wall + 0.25) * 1000);
    // The wall clock is set back a minute: spans do not run backwards.
    wall -= 60_000;
    mono += 10;
    const after = now();
    expect(after).toBeGreaterThan(before);
    expect(after - before).toBe(10_000);
  });

  it("finds each span's parent from its path", () => {
    expect(parentPath('')).toBeNull();
    expect(parentPath('draft')).toBe('');
    expect(parentPath('risks[2].section/draft')).toBe('risks[2].section');
    expect(parentPath('risks[2].section')).toBe('risks');
    expect(parentPath('plan#3')).toBe('plan');
    expect(parentPath('plan#3.sanctions.screen')).toBe('plan#3');
  });
});
