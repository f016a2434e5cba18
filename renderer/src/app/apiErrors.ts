/**
 * Whether asking again could give another answer. Not for input the server refused, a permission
 * not held, something that does not exist, or data that cannot be decrypted: a "Try again" button
 * there only sends the user round in a circle.
 */
export function retryMayHelp(code: string): boolean {
  if (code.endsWith('_NOT_FOUND')) return false;
  return !permanentCodes.has(code);
}

const permanentCodes = new Set(['ERR_AUTH_ACCOUNT_CHANGED', 'ERR_INPUT_INVALID', 'ERR_AUTH_FORBIDDEN', 'ERR_AUTH_NO_ACCESS', 'ERR_STORAGE_KEY_DESTROYED', 'ERR_STORAGE_TAMPERED', 'ERR_API_UNKNOWN_METHOD', 'ERR_API_UNKNOWN_EVENT']);
