import { describe, expect, it } from 'vitest';
import { enforceSingleInstance } from './singleInstance.ts';

function fakeApp(lockAvailable: boolean) {
  const state = { quits: 0, secondInstance: undefined as (() => void) | undefined };
  return {
    state,
    app: {
      requestSingleInstanceLock: () => lockAvailable,
      quit: () => void (state.quits += 1),
      on: (_event: 'second-instance', listener: () => void) => (state.secondInstance = listener),
    },
  };
}

describe('enforceSingleInstance', () => {
  it('keeps the first instance and focuses it when a second one starts', () => {
    const { app, state } = fakeApp(true);
    let focused = 0;
    expect(enforceSingleInstance(app, () => (focused += 1))).toBe(true);
    expect(state.quits).toBe(0);
    state.secondInstance?.();
    expect(focused).toBe(1);
  });

  it('quits a second instance without listening for others', () => {
    const { app, state } = fakeApp(false);
    expect(enforceSingleInstance(app, () => undefined)).toBe(false);
    expect(state.quits).toBe(1);
    expect(state.secondInstance).toBeUndefined();
  });
});
