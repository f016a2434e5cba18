import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoreError } from '../../base/index.ts';
import type { Clock } from '../../base/index.ts';
import { createCore } from '../../createCore.ts';
import type { Core } from '../../createCore.ts';
import { IdentityStore } from '../../identity/index.ts';
import { capture } from '../testing.ts';
import { main } from '../main.ts';
import { auditExportCommand, auditPublicKeyCommand, auditRetentionCommand, auditVerifyCommand, parseTime } from './audit.ts';
import { cliTime, secretsFor } from './common.ts';

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

async function withCore<T>(dataDir: string, body: (core: Core) => T | Promise<T>, clock?: Clock): Promise<T> {
  const core = await createCore({ dataDir, mode: 'cli', heartbeatMs: 0, resumeInterruptedRuns: false, secrets: secretsFor(capture(), env), ...(clock ? { clock } : {}) });
  try {
    return await body(core);
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
    expect(() => parseTime('last tuesday', 'to')).toThrow(/--to last tuesday is not a date or an ISO-8601 time/);
  });

  it('reads times strictly: no lenient guesses, no time without its zone, no day that does not exist', () => {
    expect(cliTime('since', '2026-11-21T22:01:30.5+09:00')).toBe(Date.UTC(2026, 10, 21, 13, 1, 30, 500));
    expect(cliTime('since', ' 2026-11-21 ')).toBe(Date.UTC(2026, 10, 21));
    // JavaScript's Date reads all of these as some date (2001-01-01, local time, 2 March...).
    for (const text of ['foo 1', '1', 'keep 2099', '2026-11-21T22:01', '2026-11-21 22:01Z', '2026-02-30', '2026-13-01', '2026-11-21T25:00Z', '', 'now']) {
      expect(() => cliTime('since', text), text).toThrow(CoreError);
      expect(() => cliTime('since', text), text).toThrow(/--since .* is not a date or an ISO-8601 time with its zone/);
    }
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

describe('what an administrator mistypes', () => {
  const cli = async (...args: string[]) => {
    const io = capture();
    const code = await main(['node', 'strongroom', ...args], io, env);
    return { code, out: io.stdout.join(''), err: io.stderr.join('\n') };
  };

  it('a --data-dir with no installation is refused, and none is made: no empty log verifies, signs or exports', async () => {
    const missing = join(temp(), 'typo');
    for (const args of [['audit', 'verify'], ['audit', 'public-key'], ['audit', 'export', '--format', 'jsonl', '--out', join(temp(), 'x.jsonl')], ['traces', 'export', '--since', '2026-01-01', '--out', join(temp(), 'x.json')], ['runs', 'list'], ['models', 'list']]) {
      const result = await cli(...args, '--data-dir', missing, '--json');
      expect(result.code, args.join(' ')).toBe(1);
      expect(JSON.parse(result.out), args.join(' ')).toMatchObject({ ok: false, error: { code: 'ERR_STORAGE_NOT_INITIALISED' } });
    }
    expect(existsSync(missing)).toBe(false);
  });

  it('an export to a place it cannot be written fails before it is audited; a reversed range is refused', async () => {
    const root = temp();
    const dataDir = join(root, 'data');
    const exports = () => withCore(dataDir, (core) => core.audit!.storage.db.prepare("SELECT count(*) FROM audit_log WHERE action = 'audit.export'").pluck().get() as number);
    expect(await exports()).toBe(0);
    for (const format of ['pdf', 'jsonl', 'csv']) {
      const result = await cli('audit', 'export', '--format', format, '--out', join(root, 'no-such-dir', `x.${format}`), '--data-dir', dataDir, '--json');
      expect(result.code, format).toBe(1);
      expect(JSON.parse(result.out), format).toMatchObject({ ok: false, error: { code: 'ERR_NOT_FOUND', message: expect.stringContaining('no-such-dir') as string } });
    }
    expect(await exports()).toBe(0);
    const reversed = await cli('audit', 'export', '--from', '2026-11-22', '--to', '2026-11-21', '--format', 'csv', '--out', join(root, 'r.csv'), '--data-dir', dataDir, '--json');
    expect(JSON.parse(reversed.out)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('is after --to') as string } });
    expect(existsSync(join(root, 'r.csv'))).toBe(false);
    const pdf = await cli('audit', 'export', '--format', 'pdf', '--out', join(root, 'ok.pdf'), '--data-dir', dataDir, '--json');
    expect(pdf.code, pdf.err).toBe(0);
    expect(await exports()).toBe(1);
  });

  it('verify answers --json with a typed error for a missing or unusable key file or a directory', async () => {
    const root = temp();
    const dataDir = join(root, 'data');
    await withCore(dataDir, () => undefined);
    const file = join(root, 'all.jsonl');
    expect((await cli('audit', 'export', '--format', 'jsonl', '--out', file, '--data-dir', dataDir)).code).toBe(0);
    writeFileSync(join(root, 'garbage.pem'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    mkdirSync(join(root, 'folder'));
    const cases: Array<[string[], string, RegExp]> = [
      [[file, '--public-key', join(root, 'missing.pem')], 'ERR_NOT_FOUND', /missing\.pem does not exist/],
      [[file, '--public-key', join(root, 'garbage.pem')], 'ERR_INPUT_INVALID', /garbage\.pem is not an Ed25519 public key/],
      [[join(root, 'folder')], 'ERR_INPUT_INVALID', /is a directory/],
    ];
    for (const [args, code, message] of cases) {
      const io = capture();
      const options = { dataDir, json: true, env, file: args[0]!, publicKey: args.slice(2) };
      expect(await auditVerifyCommand(io, options)).toBe(1);
      expect(JSON.parse(io.stdout.join('')), args.join(' ')).toMatchObject({ ok: false, error: { code, message: expect.stringMatching(message) as string } });
    }
    // A command line commander refuses answers --json too.
    const badFormat = await cli('audit', 'export', '--format', 'xml', '--out', join(root, 'x'), '--data-dir', dataDir, '--json');
    expect(badFormat.code).not.toBe(0);
    expect(JSON.parse(badFormat.out)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('xml') as string } });
    const tooMany = await cli('traces', 'list', '--limit', '100000', '--data-dir', dataDir, '--json');
    expect(JSON.parse(tooMany.out)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: expect.stringContaining('from 1 to 1000') as string } });
  });

  it('legal-hold flags that contradict each other change nothing; the local administrator is found by the name the app shows', async () => {
    const dataDir = join(temp(), 'data');
    // The local administrator acted once (as signing in does); the CLI's operator acts below.
    const admin = await withCore(dataDir, async (core) => {
      await core.identity!.setLocalPassphrase('correct horse battery staple');
      const id = new IdentityStore(core.storage!.db).localAdministrator()!.id;
      core.audit!.append({ action: 'test.event', outcome: 'success', actor: { userId: id, accountId: core.storage!.accounts.list()[0]!.id } });
      return id;
    });
    const both = capture();
    expect(await auditRetentionCommand(both, { dataDir, json: true, env, account: 'Default', hold: true, release: true })).toBe(1);
    expect(JSON.parse(both.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', message: 'Give --hold or --release, not both.' } });
    const reasonAlone = capture();
    expect(await auditRetentionCommand(reasonAlone, { dataDir, json: true, env, account: 'Default', reason: 'case 42' })).toBe(1);
    expect(JSON.parse(reasonAlone.stdout[0]!)).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID' } });
    const shown = capture();
    expect(await auditRetentionCommand(shown, { dataDir, json: true, env, account: 'Default' })).toBe(0);
    expect(JSON.parse(shown.stdout[0]!)).toMatchObject({ ok: true, legalHold: false });

    const out = join(temp(), 'admin.jsonl');
    const io = capture();
    expect(await auditExportCommand(io, { dataDir, json: true, env, format: 'jsonl', out, actor: 'Local administrator' })).toBe(0);
    const entries = exportedEntries(out);
    expect(entries.map((entry) => entry.action)).toContain('test.event');
    expect(new Set(entries.map((entry) => entry.actor.user))).toEqual(new Set([admin]));
  });
});
