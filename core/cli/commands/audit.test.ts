import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { IdentityStore } from '../../identity/index.ts';
import { capture } from '../testing.ts';
import { auditExportCommand, auditPublicKeyCommand, parseTime } from './audit.ts';
import { secretsFor } from './common.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-cli-audit-'));
  dirs.push(dir);
  return dir;
}

const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };

/** A clock the test sets; entries are written at the times it says. */
function clockAt(ms: number): Clock & { set(ms: number): void } {
  let now = ms;
  return { now: () => now, monotonic: () => now, set: (next) => (now = next) };
}

async function withCore<T>(dataDir: string, body: (core: Core) => T, clock?: Clock): Promise<T> {
  const core = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env), ...(clock ? { clock } : {}) });
  try {
    return body(core);
  } finally {
    await core.dispose();
  }
}

/** The entries of a JSONL export file (manifest, checkpoints and proofs left out). */
function exportedEntries(file: string): Array<{ seq: number; at: string; action: string; actor: { user: string | null } }> {
  return readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.v === 1) as never;
}

describe('strongroom audit export filters', () => {
  it('--to with a date alone includes that whole day (UTC); a time is exact', () => {
    expect(parseTime('2026-01-31', 'to')).toBe(Date.UTC(2026, 0, 31, 23, 59, 59, 999));
    expect(parseTime('2026-01-31', 'from')).toBe(Date.UTC(2026, 0, 31));
    expect(parseTime('2026-01-31T17:00:00Z', 'to')).toBe(Date.UTC(2026, 0, 31, 17));
    expect(() => parseTime('last tuesday', 'to')).toThrow(/--to must be a date/);
  });

  it('exports the entries of the day --to names and none after, and finds --actor by user id, email or display name', async () => {
    const dataDir = join(temp(), 'data');
    const clock = clockAt(Date.UTC(2026, 0, 30, 12));
    const people = await withCore(dataDir, (core) => {
      const store = new IdentityStore(core.storage!.db);
      const accountId = core.storage!.accounts.list()[0]!.id;
      const dana = store.upsertIdpUser('https://idp.example', 'dana', { displayName: 'Dana Auditor', email: 'Dana@Bank.example' }, clock.now());
      const sam = store.upsertIdpUser('https://idp.example', 'sam', { displayName: 'Sam Analyst', email: 'sam@bank.example' }, clock.now());
      const other = store.upsertIdpUser('https://idp.example', 'sam2', { displayName: 'Sam Analyst', email: 'sam.two@bank.example' }, clock.now());
      for (const user of [dana, sam, other]) store.replaceGroupMemberships(user.id, [{ accountId, role: 'analyst' }], clock.now());
      const at = (iso: string, userId: string) => {
        clock.set(Date.parse(iso));
        core.audit!.append({ action: 'test.event', outcome: 'success', actor: { userId, accountId }, details: { at: iso } });
      };
      at('2026-01-30T12:00:00.000Z', dana.id);
      at('2026-01-31T00:00:00.000Z', sam.id);
      at('2026-01-31T23:59:59.999Z', dana.id);
      at('2026-02-01T00:00:00.000Z', dana.id);
      return { dana: dana.id, sam: sam.id };
    }, clock);

    const run = async (name: string, filters: { to?: string; actor?: string }) => {
      const out = join(dataDir, `${name}.jsonl`);
      const io = capture();
      const code = await auditExportCommand(io, { dataDir, json: true, env, format: 'jsonl', out, action: 'test.*', ...filters });
      return { code, io, entries: code === 0 ? exportedEntries(out) : [] };
    };
    const byDay = await run('to-day', { to: '2026-01-31' });
    expect(byDay.entries.map((entry) => entry.at)).toEqual(['2026-01-30T12:00:00.000Z', '2026-01-31T00:00:00.000Z', '2026-01-31T23:59:59.999Z']);

    for (const actor of [people.dana, 'dana@bank.example', 'dana auditor']) {
      const result = await run(`actor-${actor.replace(/\W/g, '')}`, { actor });
      expect(result.entries.map((entry) => entry.actor.user), actor).toEqual([people.dana, people.dana, people.dana]);
    }
    expect((await run('both', { to: '2026-01-31', actor: 'Dana Auditor' })).entries).toHaveLength(2);

    const ambiguous = await run('ambiguous', { actor: 'Sam Analyst' });
    expect(ambiguous.code).toBe(1);
    expect(JSON.parse(ambiguous.io.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', message: expect.stringContaining(people.sam) as string } });
    const unknown = await run('unknown', { actor: 'nobody@bank.example' });
    expect(JSON.parse(unknown.io.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND' } });
  });
});

describe('strongroom audit public-key', () => {
  it('writes the PEM to a new file, and refuses an existing one with a clear error (also as JSON)', async () => {
    const root = temp();
    const dataDir = join(root, 'data');
    await withCore(dataDir, () => undefined);
    const out = join(root, 'audit-key.pem');
    const io = capture();
    expect(await auditPublicKeyCommand(io, { dataDir, json: true, env, out })).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(JSON.parse(io.stdout[0]!)).toMatchObject({ ok: true, file: out, keys: [{ algorithm: 'Ed25519' }] });

    writeFileSync(join(root, 'taken.pem'), 'keep me');
    const refused = capture();
    expect(await auditPublicKeyCommand(refused, { dataDir, json: true, env, out: join(root, 'taken.pem') })).toBe(1);
    expect(JSON.parse(refused.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_CONFLICT', message: expect.stringContaining('already exists') as string } });
    const text = capture();
    expect(await auditPublicKeyCommand(text, { dataDir, json: false, env, out: join(root, 'taken.pem') })).toBe(1);
    expect(text.stderr.join('\n')).toMatch(/^error ERR_CONFLICT: .*taken\.pem already exists/m);
    expect(readFileSync(join(root, 'taken.pem'), 'utf8')).toBe('keep me');
  });
});
