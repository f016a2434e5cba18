// Security checklist #5, "Handle session permission requests from remote content": Electron
// grants every permission (camera, microphone, geolocation, notifications, clipboard-read, HID,
// serial, …) unless a handler says otherwise. Strongroom needs none of them, so both the request
// and the synchronous check are denied for every origin, including our own.

/** The part of an Electron Session the guard uses. */
export interface PermissionSession {
  setPermissionRequestHandler(handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string) => boolean) | null): void;
}

export function denyAllPermissions(session: PermissionSession, onDenied?: (permission: string) => void): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    onDenied?.(permission);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
}
