import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyDatabase } from '../../audit/index.ts';
import type { StoredAuditEntry } from '../../audit/index.ts';
import { createCore } from '../../createCore.ts';
// eslint-disable-next-line no-restricted-imports -- the keychain test seam is meant for other areas' tests, not an internal
import { testKeychain } from '../../secrets/testing.ts';
import { capture } from '../testing.ts';
import { secretsFor } from './common.ts';
import { initCommand } from './init.ts';
import { keysRotateCommand } from './keys.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A real installation on disk (SQLite file, master key from `env`) with a second account. */
async function installation(env: NodeJS.ProcessEnv): Promise<{ dataDir: string; creditId: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-keys-'));
  dirs.push(dataDir);
  expect(await initCommand(capture(), { dataDir, json: true, env })).toBe(0);
  const core = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env) });
  try {
    return { dataDir, creditId: core.storage!.createAccount('Credit').id };
  } finally {
    await core.dispose();
  }
}

/** The installation's audit entries of one action prefix, and whether the whole log verifies. */
async function auditOf(dataDir: string, env: NodeJS.ProcessEnv, prefix: string): Promise<{ entries: StoredAuditEntry[]; ok: boolean; keys: Array<{ accountId: string; version: number; status: string }> }> {
  const core = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env) });
  try {
    const report = await verifyDatabase(core.audit!);
    return { entries: core.audit!.list({ actionPrefix: prefix }), ok: report.ok, keys: core.storage!.keys.describeKeys() };
  } finally {
    await core.dispose();
  }
}

const headless = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

describe('strongroom keys rotate', () => {
  it('records each data key rotation and its re-encryption in the audit log as the operator; the chain still verifies', async () => {
    const { dataDir, creditId } = await installation(headless);
    const io = capture();
    expect(await keysRotateCommand(io, { dataDir, json: true, env: headless, account: 'Credit', master: false, batchSize: 500 })).toBe(0);
    const printed = JSON.parse(io.stdout[0]!) as { ok: boolean; rotations: Array<{ account: string; keyId: number; keyVersion: number }> };
    expect(printed).toMatchObject({ ok: true, rotations: [{ account: 'Credit', keyVersion: 2 }] });
    expect(io.stderr.join('\n')).toContain('Credit: new data key version');

    const { entries: all, ok, keys } = await auditOf(dataDir, headless, 'keys.');
    expect(ok).toBe(true);
    const previous = keys.find((key) => key.accountId === creditId && key.version === 1);
    expect(previous?.status).toBe('retired');
    // Credit's first key, made by Strongroom when the account was created, is on record too.
    expect(all.filter((entry) => entry.details.automatic === true && entry.accountId === creditId)).toMatchObject([{ action: 'keys.rotate', actorUserId: null, details: { reason: 'first key', version: 1, previousKeyId: null } }]);
    const entries = all.filter((entry) => entry.details.automatic !== true);
    expect(entries.map((entry) => [entry.action, entry.outcome, entry.accountId])).toEqual([['keys.rotate', 'success', creditId], ['keys.reencrypt', 'success', creditId]]);
    const [rotate, reencrypt] = entries;
    expect(rotate).toMatchObject({ actorUserId: 'local-operator', actorAccountId: null, resource: `account:${creditId}`, details: { key: 'data', keyId: printed.rotations[0]!.keyId, version: 2, previousVersion: 1 } });
    expect(reencrypt).toMatchObject({ actorUserId: 'local-operator', details: { keyId: printed.rotations[0]!.keyId, failures: 0, failed: [] } });
    // Ids and versions only, never key material.
    expect(Object.keys(rotate!.details).sort()).toEqual(['key', 'keyId', 'previousKeyId', 'previousVersion', 'version']);
    expect(rotate!.hasContent).toBe(false);
  });

  it('shows re-encryption progress on stderr for every account, and exits 1 with a failure entry when the master key cannot be replaced', async () => {
    const { dataDir } = await installation(headless);
    const io = capture();
    expect(await keysRotateCommand(io, { dataDir, json: false, env: headless, master: false, batchSize: 1 })).toBe(0);
    // The Default account's sealed audit signing key is re-encrypted under the new key.
    expect(io.stderr.join('\n')).toMatch(/Default: now audit_signing_keys; \d+ row\(s\) scanned and [1-9]\d* value\(s\) re-encrypted so far in this account/);
    expect(io.stdout.join('\n')).toContain('Recorded in the audit log');

    const refused = capture();
    expect(await keysRotateCommand(refused, { dataDir, json: true, env: headless, master: true, batchSize: 500 })).toBe(1);
    expect(JSON.parse(refused.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_SECRETS_UNAVAILABLE' } });
    const { entries, ok } = await auditOf(dataDir, headless, 'keys.');
    expect(ok).toBe(true);
    expect(entries.filter((entry) => entry.action === 'keys.rotate' && entry.details.automatic !== true).map((entry) => [entry.outcome, entry.details.key])).toEqual([['success', 'data'], ['success', 'data'], ['failure', 'master']]);
    expect(entries.at(-1)).toMatchObject({ accountId: null, details: { code: 'ERR_SECRETS_UNAVAILABLE' } });
  });

  it('rotates a headless master key to one the operator gives on standard input: the old key stops opening the installation, the new one opens it', async () => {
    const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
    const { dataDir, creditId } = await installation(env);
    const next = randomBytes(32).toString('base64');
    const same = capture();
    expect(await keysRotateCommand(same, { dataDir, json: true, env, master: true, batchSize: 500, newKey: env.STRONGROOM_MASTER_KEY })).toBe(1);
    expect(JSON.parse(same.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('the one in use') as string } });
    const alone = capture();
    expect(await keysRotateCommand(alone, { dataDir, json: true, env, master: false, batchSize: 500, newKey: next })).toBe(1);
    expect(JSON.parse(alone.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: '--new-key-stdin goes with --master.' } });

    const io = capture();
    expect(await keysRotateCommand(io, { dataDir, json: false, env, master: true, batchSize: 500, account: 'Credit', newKey: next })).toBe(0);
    expect(io.stdout.join('\n')).toContain('Set STRONGROOM_MASTER_KEY to the new key now');
    // The old key no longer opens the installation; the new one does, and the content reads.
    await expect(createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env) })).rejects.toMatchObject({ code: 'ERR_SECRETS_KEY_MISMATCH' });
    const rotated = { STRONGROOM_MASTER_KEY: next };
    const { entries, ok, keys } = await auditOf(dataDir, rotated, 'keys.');
    expect(ok).toBe(true);
    // The refused attempt with the same key is on record as a failure, then the rotation.
    expect(entries.filter((entry) => entry.details.key === 'master').map((entry) => [entry.outcome, entry.details.code ?? entry.details.version])).toEqual([['failure', 'ERR_INPUT_INVALID'], ['success', 2]]);
    expect(keys.filter((key) => key.accountId === creditId).map((key) => key.status).sort()).toEqual(['active', 'retired']);
  });

  it('refuses a data directory without an installation instead of creating one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-keys-empty-'));
    dirs.push(dataDir);
    const io = capture();
    expect(await keysRotateCommand(io, { dataDir, json: false, env: headless, master: false, batchSize: 500 })).toBe(1);
    expect(io.stderr.join('\n')).toContain('ERR_STORAGE_NOT_INITIALISED');
  });
});

// Master key rotation needs a writable store: the real OS keychain (skipped off CI without one).
const keychain = await testKeychain('keys');
afterAll(keychain.cleanup);

describe.skipIf(keychain.skip)('strongroom keys rotate --master (OS keychain)', () => {
  it('records the master key rotation in the transaction that re-wraps the data keys; the chain verifies under the new key', async () => {
    expect(keychain.unreachable, keychain.reachableMessage).toBeUndefined();
    const env = { STRONGROOM_KEYCHAIN_SERVICE: keychain.service };
    const { dataDir } = await installation(env);
    const io = capture();
    expect(await keysRotateCommand(io, { dataDir, json: true, env, master: true, batchSize: 500 })).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ ok: true, master: { version: 2, rewrapped: 2 } });
    expect(io.stderr.join('\n')).toContain('Rotating the master key');
    const names = await keychain.store.names();
    expect(names.filter((name) => name.endsWith('/master-key/v2'))).toHaveLength(1);
    expect(names.filter((name) => name.endsWith('/master-key/v1'))).toHaveLength(0);

    const { entries: all, ok } = await auditOf(dataDir, env, 'keys.rotate');
    expect(ok).toBe(true);
    // (Credit's first key, made by Strongroom when the account was created, comes before them.)
    const entries = all.filter((entry) => entry.details.automatic !== true);
    expect(entries[0]).toMatchObject({ action: 'keys.rotate', outcome: 'success', accountId: null, actorUserId: 'local-operator', details: { key: 'master', version: 2, previousVersion: 1, dataKeys: 2 } });
    expect(entries.slice(1).map((entry) => entry.details.key)).toEqual(['data', 'data']);
  });
});
