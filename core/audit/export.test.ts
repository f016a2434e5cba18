import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localOperator } from '../api/index.ts';
import type { Core } from '../createCore.ts';
import { verifyBytes } from '../../scripts/verify-audit.mjs';
import { FileSink, MemorySink } from './exportJsonl.ts';
import { summarize } from './exportPdf.ts';
import { apiAs, openCore, principalFor, tempDir } from './testing.ts';
import { verifyExportBytes, verifyExportFile } from './verifyExport.ts';

const script = new URL('../../scripts/verify-audit.mjs', import.meta.url).pathname;
const dir = tempDir('export');
let core: Core;
let accounts: { alpha: string; beta: string };

/** Both verifiers agree on a file: the one in core and the standalone script (as a module). */
function bothVerify(bytes: Buffer, options: { trustedKeys?: string[] } = {}) {
  const core = verifyExportBytes(bytes, options);
  const standalone = verifyBytes(bytes, options);
  expect(standalone.ok).toBe(core.ok);
  return { core, standalone };
}

async function exportJsonl(filter: Parameters<NonNullable<Core['auditService']>['export']>[1], principal = localOperator()): Promise<Buffer> {
  const sink = new MemorySink();
  await core.auditService!.export(principal, filter, 'jsonl', sink);
  return Buffer.from(sink.text(), 'utf8');
}

beforeAll(async () => {
  core = await openCore(dir.path, { every: 7 });
  const ops = apiAs(core);
  const alpha = await ops.call('admin.accounts.create', { name: 'Alpha Credit' });
  const beta = await ops.call('admin.accounts.create', { name: 'Beta HR' });
  accounts = { alpha: alpha.id, beta: beta.id };
  for (let i = 0; i < 12; i += 1) {
    await ops.call('admin.groups.map', { accountId: i % 2 === 0 ? alpha.id : beta.id, group: `group-${i}`, role: 'analyst' });
  }
  // Denied calls are recorded by the router.
  await apiAs(core, principalFor(alpha.id, 'analyst')).bridge.invoke('audit.list', { limit: 10 });
  core.audit!.append({ action: 'runs.answer', outcome: 'success', actor: { userId: 'u-ana', accountId: alpha.id, roles: ['analyst'] }, resource: 'run:1', content: { answer: 'the customer’s income is 5,000' } });
});
afterAll(async () => {
  await core.dispose();
  dir.cleanup();
});

describe('JSONL exports', () => {
  it('a complete export holds every entry and checkpoint and verifies with both verifiers', async () => {
    const bytes = await exportJsonl({});
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    const head = core.audit!.currentHead();
    expect(lines.filter((line) => line.startsWith('{"v":1,')).length).toBe(head.seq);
    expect(lines.filter((line) => line.startsWith('{"checkpoint"')).length).toBe(core.audit!.checkpoints().length);
    const { core: result } = bothVerify(bytes);
    expect(result).toMatchObject({ ok: true, scope: 'complete', entries: head.seq, keysPinned: false, firstProblem: null });
    // The export recorded itself: its own entry is the last one.
    expect(JSON.parse(lines.filter((line) => line.startsWith('{"v":1,')).at(-1)!)).toMatchObject({ action: 'audit.export', details: { format: 'jsonl' } });
    // Content is sealed: the export carries ciphertext, never the text.
    expect(bytes.toString('utf8')).not.toContain('income');
  });

  it('a filtered export verifies offline through inclusion proofs: by account, action, actor and time', async () => {
    const filters = [
      { accountId: accounts.alpha },
      { action: 'groups.map' },
      { action: 'audit.*' },
      { actorUserId: 'local-operator' },
      { outcome: 'denied' as const },
      { from: 0, to: Date.now() + 60_000, accountId: accounts.beta },
    ];
    for (const filter of filters) {
      const bytes = await exportJsonl(filter);
      const { core: result, standalone } = bothVerify(bytes);
      expect(result, JSON.stringify(filter)).toMatchObject({ ok: true, scope: 'filtered' });
      expect(standalone.entries).toBe(result.entries);
      expect(result.entries).toBeGreaterThan(0);
      const entries = bytes.toString('utf8').split('\n').filter((line) => line.startsWith('{"v":1,')).map((line) => JSON.parse(line) as { account: string; action: string });
      if (filter.accountId) expect(entries.every((entry) => entry.account === filter.accountId)).toBe(true);
      if (filter.action === 'groups.map') expect(entries.every((entry) => entry.action === 'groups.map')).toBe(true);
    }
  });

  it('a compliance officer’s export is confined to their account and still verifies', async () => {
    const officer = principalFor(accounts.beta, 'compliance');
    const bytes = await exportJsonl({}, officer);
    const { core: result } = bothVerify(bytes);
    expect(result).toMatchObject({ ok: true, scope: 'filtered' });
    const entries = bytes.toString('utf8').split('\n').filter((line) => line.startsWith('{"v":1,')).map((line) => JSON.parse(line) as { account: string });
    expect(entries.every((entry) => entry.account === accounts.beta)).toBe(true);
    await expect(core.auditService!.export(officer, { accountId: accounts.alpha }, 'jsonl', new MemorySink())).rejects.toMatchObject({ code: 'ERR_AUTH_FORBIDDEN' });
  });

  it('verifies against a pinned public key and fails against another installation’s', async () => {
    const bytes = await exportJsonl({ action: 'groups.map' });
    const [key] = await apiAs(core).call('audit.publicKey', {});
    expect(bothVerify(bytes, { trustedKeys: [key!.publicKeyPem] }).core).toMatchObject({ ok: true, keysPinned: true, keyIds: [key!.keyId] });
    expect(bothVerify(bytes, { trustedKeys: [key!.publicKey] }).core.ok).toBe(true);
    const other = await openCore(join(dir.path, 'other'));
    try {
      const [foreign] = await apiAs(other).call('audit.publicKey', {});
      const { core: result, standalone } = bothVerify(bytes, { trustedKeys: [foreign!.publicKeyPem] });
      expect(result.firstProblem).toMatchObject({ line: 1, reason: expect.stringMatching(/signed by a key that is not pinned/) as string });
      expect(standalone.firstProblem).toEqual(result.firstProblem);
    } finally {
      await other.dispose();
    }
  });

  it('scripts/verify-audit.mjs runs on its own: exit 0 for a good file, 1 with the first broken line for a bad one', async () => {
    const file = join(dir.path, 'export.jsonl');
    const sink = new FileSink(file);
    await core.auditService!.export(localOperator(), { accountId: accounts.alpha }, 'jsonl', sink);
    sink.close();
    expect(verifyExportFile(file).ok).toBe(true);
    const good = spawnSync(process.execPath, [script, file], { encoding: 'utf8' });
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^OK: \d+ entries/);
    const lines = readFileSync(file, 'utf8').split('\n');
    const target = lines.findIndex((line, index) => index > 0 && line.includes('"groups.map"'));
    lines[target] = lines[target]!.replace('"analyst"', '"admin"');
    const bad = join(dir.path, 'tampered.jsonl');
    writeFileSync(bad, lines.join('\n'));
    const result = spawnSync(process.execPath, [script, bad, '--json'], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, firstProblem: { line: expect.any(Number) as number } });
    expect(spawnSync(process.execPath, [script], { encoding: 'utf8' }).status).toBe(2);
  });
});

describe('CSV and PDF exports', () => {
  it('CSV has one row per entry and defuses spreadsheet formulas', async () => {
    core.audit!.append({ action: 'settings.change', outcome: 'success', actor: { userId: 'u-1', accountId: accounts.alpha }, details: { name: '=HYPERLINK("http://evil")' } });
    const sink = new MemorySink();
    const result = await core.auditService!.export(localOperator(), { accountId: accounts.alpha }, 'csv', sink);
    const text = sink.text();
    const rows = text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('seq,time,account,actor_user,actor_name,actor_account,actor_roles,action,resource,outcome,request_id,details,has_content,prev,hash');
    expect(rows.length - 1).toBe(result.entries);
    expect(text).toContain('"{""name"":""=HYPERLINK(\\""http://evil\\"")""}"');
    const cell = text.split('\r\n').find((row) => row.includes('settings.change'))!;
    expect(cell).not.toMatch(/,=HYPERLINK/);
  });

  it('the PDF summary is a PDF with the counts a person needs', async () => {
    const result = await core.auditService!.exportForApi(localOperator(), {}, 'pdf', 'req-pdf');
    const pdf = Buffer.from(result.content, 'base64');
    expect(result).toMatchObject({ encoding: 'base64', mediaType: 'application/pdf' });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toMatch(/%%EOF/);
    writeFileSync(join(dir.path, 'summary.pdf'), pdf);
  });
});

/** The text a PDF shows: pdfkit's Flate content streams, TJ strings in hex, Helvetica in WinAnsi. */
function pdfText(pdf: Buffer): string {
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const start = pdf.indexOf('stream\n', at);
    if (start < 0) break;
    const end = pdf.indexOf('\nendstream', start);
    if (end < 0) break;
    const body = pdf.subarray(start + 'stream\n'.length, end);
    at = end + '\nendstream'.length;
    let content: string;
    try {
      content = inflateSync(body).toString('latin1');
    } catch {
      continue; // not a Flate stream (e.g. an image)
    }
    for (const match of content.matchAll(/\[(.*?)\]\s*TJ/g)) {
      lines.push([...match[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((hex) => Buffer.from(hex[1]!, 'hex').toString('latin1')).join(''));
    }
  }
  return lines.join('\n');
}

describe('the PDF summary says what happened', () => {
  it('counts failed sign-ins and exports of every kind (audit log, drafts, traces, backups), in its data and in the PDF text', async () => {
    const own = tempDir('pdf');
    const fresh = await openCore(own.path);
    try {
      const log = fresh.audit!;
      const ana = { userId: 'u-ana', accountId: null, roles: ['analyst'] };
      for (const reason of ['bad-passphrase', 'locked-out']) log.append({ action: 'auth.signIn', outcome: 'failure', actor: { userId: 'u-mallory', accountId: null }, details: { method: 'local', reason } });
      log.append({ action: 'auth.signIn', outcome: 'success', actor: ana, details: { method: 'local' } });
      log.append({ action: 'drafts.export', outcome: 'success', actor: ana, resource: 'draft:d-1', details: { format: 'docx', bytes: 1234, status: 'approved' } });
      log.append({ action: 'traces.export', outcome: 'success', actor: ana, resource: 'trace:t-1', details: { traces: 1, spans: 3, contentIncluded: false } });
      // A refused export is not an export made (it is in the counts by action).
      log.append({ action: 'drafts.export', outcome: 'denied', actor: { userId: 'u-eve', accountId: null }, details: { transport: 'http', code: 'ERR_AUTH_FORBIDDEN' } });
      log.append({ action: 'backup.create', outcome: 'success', actor: { userId: 'local-operator', accountId: null }, details: { file: '/backups/nightly.sqlite', bytes: 4096 } });

      const result = await fresh.auditService!.exportForApi(localOperator(), {}, 'pdf', 'req-pdf-text');
      const summary = summarize(log, {}, { size: log.currentHead().seq });
      expect(summary.failedSignIns).toMatchObject({ count: 2, rows: [{ actor: 'u-mallory', method: 'local', reason: 'locked-out' }, { reason: 'bad-passphrase' }] });
      expect(summary.exports.count).toBe(4);
      expect(summary.exports.byKind).toEqual({ 'audit log': 1, backup: 1, draft: 1, traces: 1 });
      expect(summary.exports.rows.map((row) => [row.kind, row.format, row.what])).toEqual([
        ['audit log', 'pdf', 'all entries'],
        ['backup', 'sqlite', '/backups/nightly.sqlite'],
        ['traces', 'otlp', '1 trace(s), metadata only'],
        ['draft', 'docx', 'draft:d-1'],
      ]);
      expect(summary.byAction.find((row) => row.action === 'drafts.export')).toMatchObject({ success: 1, denied: 1, total: 2 });

      const text = pdfText(Buffer.from(result.content, 'base64'));
      expect(text).toContain('Strongroom audit log summary');
      expect(text).toContain('Failed sign-ins (2)');
      expect(text).toContain('locked-out');
      expect(text).toContain('Exports made (4: 1 audit log, 1 backup, 1 draft, 1 traces)');
      expect(text).toContain('draft:d-1');
      expect(text).toContain('/backups/nightly.sqlite');
      expect(text).toContain('u-mallory');
    } finally {
      await fresh.dispose();
      own.cleanup();
    }
  });

  it('names the account and actor of its filter, with their ids for an auditor, and a deleted account as such', async () => {
    const own = tempDir('pdf-names');
    const fresh = await openCore(own.path);
    try {
      const ops = apiAs(fresh);
      const alpha = await ops.call('admin.accounts.create', { name: 'Alpha Credit' });
      const gone = await ops.call('admin.accounts.create', { name: 'Gamma Leasing' });
      fresh.audit!.append({ action: 'runs.start', outcome: 'success', actor: { userId: 'u-ana', accountId: alpha.id } });
      fresh.audit!.append({ action: 'runs.start', outcome: 'success', actor: { userId: 'u-gil', accountId: gone.id } });
      await ops.call('admin.accounts.delete', { accountId: gone.id, confirmName: 'Gamma Leasing' });
      // An officer's export is scoped to their account: the Filter line names it.
      const officer = principalFor(alpha.id, 'compliance');
      const scoped = pdfText(Buffer.from((await fresh.auditService!.exportForApi(officer, {}, 'pdf', 'req-names-1')).content, 'base64'));
      expect(scoped).toContain(`account=Alpha Credit (${alpha.id})`);
      expect(scoped).not.toMatch(new RegExp(`account=${alpha.id}`));
      const deleted = pdfText(Buffer.from((await fresh.auditService!.exportForApi(localOperator(), { accountId: gone.id }, 'pdf', 'req-names-2')).content, 'base64'));
      expect(deleted).toContain(`account=Gamma Leasing, deleted (${gone.id})`);
      // Exports listed under "Exports made" name their filter's account too.
      const labels = { user: () => undefined, account: (id: string) => fresh.auditService!.account(id) };
      const summary = summarize(fresh.audit!, {}, { size: fresh.audit!.currentHead().seq }, labels);
      expect(summary.exports.rows.map((row) => row.what)).toEqual([`account=Gamma Leasing, deleted (${gone.id})`, `account=Alpha Credit (${alpha.id})`]);
    } finally {
      await fresh.dispose();
      own.cleanup();
    }
  });
});
