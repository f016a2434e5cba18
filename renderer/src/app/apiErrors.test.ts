import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema } from '../../../core/contracts/index.ts';
import { retryMayHelp } from './apiErrors.ts';

describe('retryMayHelp', () => {
  it('offers a retry for what may pass (transport, busy models, timeouts), not for what cannot', () => {
    for (const code of ['ERR_TRANSPORT_FAILED', 'ERR_MODEL_UNAVAILABLE', 'ERR_MODEL_TIMEOUT', 'ERR_INTERNAL', 'ERR_STORAGE_UNAVAILABLE']) expect(retryMayHelp(code)).toBe(true);
    for (const code of ['ERR_INPUT_INVALID', 'ERR_AUTH_FORBIDDEN', 'ERR_NOT_FOUND', 'ERR_TRACE_NOT_FOUND', 'ERR_WORKFLOW_NOT_FOUND', 'ERR_STORAGE_TAMPERED']) expect(retryMayHelp(code)).toBe(false);
  });

  it('knows only codes the API has', () => {
    const codes = ErrorCodeSchema.options as readonly string[];
    for (const code of ['ERR_INPUT_INVALID', 'ERR_AUTH_FORBIDDEN', 'ERR_AUTH_NO_ACCESS', 'ERR_STORAGE_KEY_DESTROYED', 'ERR_STORAGE_TAMPERED', 'ERR_API_UNKNOWN_METHOD', 'ERR_API_UNKNOWN_EVENT']) expect(codes).toContain(code);
  });
});
