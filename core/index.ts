// The public door of core for its hosts (electron's core process, the CLI, serve mode, tests).
export { createCore } from './createCore.ts';
export type { Core, CoreConfig } from './createCore.ts';
