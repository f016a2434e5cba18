import { describe, expect, it } from 'vitest';
import { secureWindowOptions } from './windowOptions.ts';

describe('secureWindowOptions', () => {
  const options = secureWindowOptions({ preloadPath: '/app/dist/electron/preload.cjs', devTools: false });
  const preferences = options.webPreferences ?? {};

  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['experimentalFeatures', false],
    ['webviewTag', false],
    ['navigateOnDragDrop', false],
    ['spellcheck', false],
  ] as const)('sets %s to %s explicitly', (flag, value) => {
    expect(Object.hasOwn(preferences, flag)).toBe(true);
    expect(preferences[flag]).toBe(value);
  });

  it('never enables Blink features or changes the preload', () => {
    expect(preferences.enableBlinkFeatures).toBeUndefined();
    expect(preferences.preload).toBe('/app/dist/electron/preload.cjs');
  });

  it('hides the window until it is ready and gates DevTools on the argument', () => {
    expect(options.show).toBe(false);
    expect(preferences.devTools).toBe(false);
    expect(secureWindowOptions({ preloadPath: '/p.cjs', devTools: true }).webPreferences?.devTools).toBe(true);
  });
});
