import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { localOperator } from '../api/index.ts';
import type { Core } from '../createCore.ts';
import { verifyBytes } from '../../scripts/verify-audit.mjs';
import { MemorySink } from './exportJsonl.ts';
import { defaultRetentionDays } from './retention.ts';
import { apiAs, manualClock, openCore, principalFor, tempDir } from './testing.ts';
import { verifyDatabase } from './verifyDatabase.ts';
import { verifyExportBytes } from './verifyExport.ts';

const day = 86_400_000;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function world() {
  const clock = manualClock();
  const dir = tempDir('retention');
  const core = await openCore(dir.path, { clock, every: 10 });
  cleanups.push(dir.cleanup, () => core.dispose());
  const ops = apiAs(core);
  // Accounts made later than the installation's own, as always outside tests: Default stays the
  // administration account (the oldest), whose policy governs entries of no account.
  clock.advance(1);
  const credit = await ops.call('admin.accounts.create', { name: 'Credit' });
  const hr = await ops.call('admin.accounts.create', { name: 'HR' });
  // 40 days of activity in both accounts.
  for (let d = 0; d < 40; d += 1) {
    for (const account of [credit, hr]) core.audit!.append({ action: 'runs.start', outcome: 'success', actor: { userId: `user-${account.name}`, accountId: account.id }, details: { day: d } });
    clock.advance(day);
  }
  return { core, clock, ops, credit, hr };
}

async function completeExport(core: Core): Promise<Buffer> {
  const sink = new MemorySink();
  await core.auditService!.export(localOperator(), {}, 'jsonl', sink);
  return Buffer.from(sink.text(), 'utf8');
}

describe('retention, legal hold and purge', () => {
  it('keeps seven years by default and records each policy change', async () => {
    const { ops, credit, core } = await world();
    expect(await ops.call('audit.retention.get', { accountId: credit.id })).toMatchObject({ retentionDays: defaultRetentionDays, legalHold: false });
    expect(defaultRetentionDays).toBe(7 * 365 + 2);
    await ops.call('audit.retention.set', { accountId: credit.id, retentionDays: 30 });
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: true, reason: 'Case 2026-114' });
    expect(await ops.call('audit.retention.get', { accountId: credit.id })).toMatchObject({ retentionDays: 30, legalHold: true, legalHoldReason: 'Case 2026-114', legalHoldReasonWithheld: false });
    expect(core.audit!.list({ actionPrefix: 'audit.' }).map((e) => [e.action, e.accountId, e.details, e.hasContent])).toEqual([
      ['audit.retention.set', credit.id, { previousDays: defaultRetentionDays, retentionDays: 30 }, false],
      ['audit.legalHold.set', credit.id, { reasonGiven: true }, true],
    ]);
  });

  it('seals the legal-hold reason a person typed: readable to those who read content, withheld from an auditor, never in plaintext at rest', async () => {
    const { ops, credit, core } = await world();
    const marker = 'Subpoena SDNY-0042 re: Acme';
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: true, reason: marker });
    const compliance = apiAs(core, principalFor(credit.id, 'compliance'));
    const auditor = apiAs(core, principalFor(credit.id, 'auditor'));
    expect(await compliance.call('audit.retention.get', {})).toMatchObject({ legalHold: true, legalHoldReason: marker, legalHoldReasonWithheld: false });
    expect(await auditor.call('audit.retention.get', {})).toMatchObject({ legalHold: true, legalHoldReason: null, legalHoldReasonWithheld: true });
    // The entry carries it as sealed content, shown through audit.get like any other content.
    const [entry] = core.audit!.list({ actionPrefix: 'audit.legalHold.set' });
    expect(await compliance.call('audit.get', { seq: entry!.seq })).toMatchObject({ contentStatus: 'shown', content: { reason: marker } });
    expect(await auditor.call('audit.get', { seq: entry!.seq })).toMatchObject({ contentStatus: 'withheld' });
    // Neither the entry's plaintext columns nor the retention table hold it (checkpointed into the file).
    core.storage!.checkpoint();
    const db = core.storage!.db;
    expect(db.prepare("SELECT count(*) FROM audit_log WHERE details LIKE '%Subpoena%' OR resource LIKE '%Subpoena%'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT legal_hold_reason FROM audit_retention WHERE account_id = ?').pluck().get(credit.id)).toBeNull();
    expect(readFileSync(core.storage!.file).includes(Buffer.from(marker))).toBe(false);
    // A release names the entry that placed the hold, and carries its own reason, sealed the same way.
    const released = 'Order of 2026-05-02 lifts the hold';
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: false, reason: released });
    const [release] = core.audit!.list({ actionPrefix: 'audit.legalHold.release' });
    expect(release).toMatchObject({ details: { placedBy: entry!.seq, reasonGiven: true }, hasContent: true });
    expect(await compliance.call('audit.get', { seq: release!.seq })).toMatchObject({ contentStatus: 'shown', content: { reason: released } });
    expect(await auditor.call('audit.get', { seq: release!.seq })).toMatchObject({ contentStatus: 'withheld' });
    expect(db.prepare("SELECT count(*) FROM audit_log WHERE details LIKE '%lifts the hold%'").pluck().get()).toBe(0);
  });

  it('places and releases a hold only with a reason that is not blank, changing nothing otherwise', async () => {
    const { ops, credit, core } = await world();
    const before = core.audit!.list({ actionPrefix: 'audit.legalHold' }).length;
    for (const reason of ['', '   ', undefined]) {
      const placed = await ops.bridge.invoke('audit.legalHold.set', { accountId: credit.id, hold: true, ...(reason === undefined ? {} : { reason }) } as never);
      expect(placed).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'reason' }] } } });
    }
    expect(await ops.call('audit.retention.get', { accountId: credit.id })).toMatchObject({ legalHold: false });
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: true, reason: 'Case 2026-114' });
    for (const reason of ['', ' \n ', undefined]) {
      const released = await ops.bridge.invoke('audit.legalHold.set', { accountId: credit.id, hold: false, ...(reason === undefined ? {} : { reason }) } as never);
      expect(released).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'reason' }] } } });
    }
    expect(await ops.call('audit.retention.get', { accountId: credit.id })).toMatchObject({ legalHold: true, legalHoldReason: 'Case 2026-114' });
    expect(core.audit!.list({ actionPrefix: 'audit.legalHold' })).toHaveLength(before + 1);
    // Below the API too (the CLI and other callers go through the same service).
    expect(() => core.auditService!.retention.setLegalHold(credit.id, false, '  ', { userId: 'u', accountId: null, roles: [] }, null)).toThrow(/reason/);
  });

  it('counts what a shorter retention would make purgeable, in a dry run only', async () => {
    const { ops, credit, core } = await world();
    // Seven years now: nothing is old enough. Under 30 days, Credit's first 10 days and its two setup entries would be.
    expect(await ops.call('audit.purge', { accountId: credit.id, dryRun: true })).toMatchObject({ purged: 0 });
    expect(await ops.call('audit.purge', { accountId: credit.id, dryRun: true, retentionDays: 30 })).toMatchObject({ dryRun: true, purged: 12, accounts: [{ accountId: credit.id, purged: 12 }] });
    // A compliance officer counts for their own account without naming it.
    expect(await apiAs(core, principalFor(credit.id, 'compliance')).call('audit.purge', { dryRun: true, retentionDays: 30 })).toMatchObject({ purged: 12 });
    expect(await ops.bridge.invoke('audit.purge', { accountId: credit.id, dryRun: false, retentionDays: 30 })).toMatchObject({ ok: false, error: { code: 'ERR_INPUT_INVALID', details: { issues: [{ path: 'retentionDays' }] } } });
    expect(core.storage!.db.prepare('SELECT count(*) FROM audit_log WHERE purged_at IS NOT NULL').pluck().get()).toBe(0);
    expect(await ops.call('audit.retention.get', { accountId: credit.id })).toMatchObject({ retentionDays: defaultRetentionDays });
  });

  it('purges only entries past their account’s retention, keeps their hashes, signs a tombstone, and everything still verifies', async () => {
    const { core, ops, credit, hr } = await world();
    await ops.call('audit.retention.set', { accountId: credit.id, retentionDays: 30 });
    const dry = await ops.call('audit.purge', { accountId: credit.id, dryRun: true });
    // Credit's account.create entry, its first data key's keys.rotate and its first 10 days are older than 30 days.
    expect(dry).toMatchObject({ dryRun: true, purged: 12, tombstone: null });
    expect(core.storage!.db.prepare('SELECT count(*) FROM audit_log WHERE purged_at IS NOT NULL').pluck().get()).toBe(0);

    const report = await ops.call('audit.purge', {});
    // Credit keeps 30 days; HR and the rest keep the default seven years.
    expect(report.purged).toBe(12);
    expect(report.tombstone).not.toBeNull();
    const purged = core.storage!.db.prepare('SELECT seq, account_id, action, details, hash FROM audit_log WHERE purged_at IS NOT NULL').all() as Array<{ account_id: string; action: null; details: null; hash: string }>;
    expect(purged).toHaveLength(12);
    expect(purged.every((row) => row.account_id === credit.id && row.action === null && row.details === null && /^[0-9a-f]{64}$/.test(row.hash))).toBe(true);
    expect(core.audit!.list({ actionPrefix: 'runs.' }).filter((e) => e.accountId === hr.id)).toHaveLength(40);
    expect(core.audit!.list({ actionPrefix: 'audit.purge' })).toMatchObject([{ details: { purged: 12 } }]);

    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: true, purged: 12 });
    const bytes = await completeExport(core);
    expect(bytes.toString('utf8').match(/"purged":"/g)).toHaveLength(12);
    expect(verifyExportBytes(bytes)).toMatchObject({ ok: true, scope: 'complete' });
    expect(verifyBytes(bytes).ok).toBe(true);
    // A second purge finds nothing new.
    expect((await ops.call('audit.purge', { accountId: credit.id })).purged).toBe(0);
  });

  it('a legal hold blocks the purge, direct deletion in the database, and deleting the account', async () => {
    const { core, ops, credit } = await world();
    await ops.call('audit.retention.set', { accountId: credit.id, retentionDays: 30 });
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: true, reason: 'Litigation hold' });
    const report = await ops.call('audit.purge', { accountId: credit.id });
    expect(report).toMatchObject({ purged: 0, accounts: [{ accountId: credit.id, legalHold: true, purged: 0 }], tombstone: null });
    // Below the service, the trigger refuses to purge a held account's entry.
    const seq = core.storage!.db.prepare('SELECT seq FROM audit_log WHERE account_id = ? LIMIT 1').pluck().get(credit.id) as number;
    expect(() =>
      core.storage!.db
        .prepare('UPDATE audit_log SET actor_user_id = NULL, actor_account_id = NULL, actor_roles = NULL, action = NULL, resource = NULL, outcome = NULL, request_id = NULL, details = NULL, sealed = NULL, purged_at = 1 WHERE seq = ?')
        .run(seq),
    ).toThrow(/append-only/);
    await expect(ops.call('admin.accounts.delete', { accountId: credit.id, confirmName: 'Credit' })).rejects.toBeDefined();
    expect(core.storage!.accounts.byId(credit.id)!.deletedAt).toBeNull();
    await ops.call('audit.legalHold.set', { accountId: credit.id, hold: false, reason: 'Litigation settled' });
    expect((await ops.call('audit.purge', { accountId: credit.id })).purged).toBe(12);
  });

  it('an officer manages only their own account', async () => {
    const { core, credit, hr } = await world();
    const officer = apiAs(core, principalFor(credit.id, 'compliance'));
    expect(await officer.call('audit.retention.set', { retentionDays: 400 })).toMatchObject({ accountId: credit.id, retentionDays: 400 });
    await expect(officer.call('audit.retention.set', { accountId: hr.id, retentionDays: 1 })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    await expect(officer.call('audit.purge', { accountId: hr.id })).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    await expect(apiAs(core, principalFor(credit.id, 'auditor')).call('audit.purge', {})).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
    const purge = await officer.call('audit.purge', {});
    expect(purge.accounts.map((account) => account.accountId)).toEqual([credit.id]);
  });

  it('a removed entry without a signed tombstone is reported by every verifier', async () => {
    const { core, credit } = await world();
    const db = core.storage!.db;
    db.exec('DROP TRIGGER audit_log_guard_update');
    const seq = db.prepare('SELECT seq FROM audit_log WHERE account_id = ? LIMIT 1 OFFSET 3').pluck().get(credit.id) as number;
    db.prepare('UPDATE audit_log SET actor_user_id = NULL, actor_account_id = NULL, actor_roles = NULL, action = NULL, resource = NULL, outcome = NULL, request_id = NULL, details = NULL, sealed = NULL, purged_at = 1 WHERE seq = ?').run(seq);
    expect(await verifyDatabase(core.audit!)).toMatchObject({ ok: false, firstProblem: { seq, reason: expect.stringMatching(/without a signed tombstone/) as string } });
    const bytes = await completeExport(core);
    expect(verifyExportBytes(bytes)).toMatchObject({ ok: false, firstProblem: { seq } });
    expect(verifyBytes(bytes)).toMatchObject({ ok: false, firstProblem: { seq } });
  });
});
