import type { IdentityService } from '../../identity/index.ts';
import type { CliIo } from '../output.ts';

/**
 * Local mode's first run: the local administrator gets a passphrase — from
 * STRONGROOM_ADMIN_PASSPHRASE when set (headless provisioning), otherwise a generated one shown
 * exactly once on stderr, never logged. Later runs do nothing.
 */
export async function announceFirstRunPassphrase(io: CliIo, identity: IdentityService, env: NodeJS.ProcessEnv = process.env): Promise<'generated' | 'from-environment' | 'unchanged'> {
  if (identity.mode() !== 'local' || identity.localPassphraseIsSet()) return 'unchanged';
  if (await identity.applyProvisionedPassphrase(env)) return 'from-environment';
  const generated = await identity.ensureLocalPassphrase();
  if (generated === null) return 'unchanged';
  io.err(`strongroom: local mode — the local administrator's passphrase is: ${generated}\nstrongroom: it is shown only this once; keep it safe (change it with: strongroom admin passphrase).`);
  return 'generated';
}
