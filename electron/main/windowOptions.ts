// The one place a BrowserWindow's webPreferences are decided. Security checklist #2 "Do not enable
// Node.js integration for remote content", #3 "Enable context isolation", #4 "Enable process
// sandboxing", #6 "Do not disable webSecurity", #8 "Do not enable allowRunningInsecureContent",
// #9 "Do not enable experimental features", #10 "Do not use enableBlinkFeatures" and #12 (no
// <webview> at all). Each flag is set explicitly even where it is Electron's default, so a
// changed default or a careless edit shows up in review and fails windowOptions.test.ts.
import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/electron/preload.cjs). */
  preloadPath: string;
  /** DevTools only in development; a packaged build for a bank ships without them. */
  devTools: boolean;
}

/** Secure options for every Strongroom window. Pure, so it is tested flag by flag. */
export function secureWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: 'Strongroom',
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 600,
    // Shown on ready-to-show, so the user never sees an empty white frame.
    show: false,
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      // Chromium's spellchecker downloads dictionaries from Google: never on an air-gapped desk.
      spellcheck: false,
      devTools: input.devTools,
    },
  };
}
