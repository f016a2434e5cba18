import { describe, expect, it } from 'vitest';
import { denyAllPermissions } from './permissionGuard.ts';
import type { PermissionSession } from './permissionGuard.ts';

function fakeSession() {
  const handlers: {
    request?: Parameters<PermissionSession['setPermissionRequestHandler']>[0];
    check?: Parameters<PermissionSession['setPermissionCheckHandler']>[0];
  } = {};
  const session: PermissionSession = {
    setPermissionRequestHandler: (handler) => (handlers.request = handler),
    setPermissionCheckHandler: (handler) => (handlers.check = handler),
  };
  return { session, handlers };
}

describe('denyAllPermissions', () => {
  it.each(['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'serial', 'openExternal', 'fullscreen'])('denies a request for %s and reports it', (permission) => {
    const { session, handlers } = fakeSession();
    const denied: string[] = [];
    denyAllPermissions(session, (name) => denied.push(name));
    const answers: boolean[] = [];
    handlers.request?.({}, permission, (granted) => answers.push(granted));
    expect(answers).toEqual([false]);
    expect(denied).toEqual([permission]);
  });

  it('answers every permission check with false', () => {
    const { session, handlers } = fakeSession();
    denyAllPermissions(session);
    expect(handlers.check).toBeTypeOf('function');
    for (const permission of ['media', 'clipboard-sanitized-write', 'notifications']) expect(handlers.check?.({}, permission)).toBe(false);
  });
});
