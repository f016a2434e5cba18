// The only IPC channels between the preload and main. Shared by both sides so a rename cannot
// leave one side listening on a dead channel. Bundled into the preload, so it imports nothing.

/** Renderer → main: `invoke(method, input)`, answered with an `ApiResult`. */
export const invokeChannel = 'strongroom:invoke';
/** Renderer → main: start receiving one event name; answered with an `ApiResult<null>`. */
export const subscribeChannel = 'strongroom:subscribe';
/** Renderer → main: stop receiving one event name. */
export const unsubscribeChannel = 'strongroom:unsubscribe';
/** Main → renderer: `(eventName, payload)` for every event the window subscribed to. */
export const eventChannel = 'strongroom:event';
/** Renderer → main: show the native open dialog for a GGUF file; answered with `ApiResult<string | null>`. */
export const pickModelFileChannel = 'strongroom:pick-model-file';
