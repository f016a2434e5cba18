import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import type { CliIo } from './output.ts';

const root = mkdtempSync(join(tmpdir(), 'strongroom-cli-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = join(root, 'data');
const env = { STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64') };
const script = new URL('../../scripts/verify-audit.mjs', import.meta.url).pathname;

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (text) => stdout.push(text), err: (text) => stderr.push(text) };
  const code = await main(['node', 'strongroom', ...args], io, env);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

describe('strongroom audit', () => {
  it('exports, pins the key, verifies offline (and with the standalone script), and reports a tampered file', async () => {
    expect((await run('init', '--data-dir', dataDir)).code).toBe(0);
    expect((await run('admin', 'accounts', 'create', 'Credit Risk', '--data-dir', dataDir)).code).toBe(0);
    expect((await run('admin', 'map-group', 'risk-analysts', '--account', 'Credit Risk', '--role', 'analyst', '--data-dir', dataDir)).code).toBe(0);

    const complete = join(root, 'complete.jsonl');
    const exported = await run('audit', 'export', '--format', 'jsonl', '--out', complete, '--data-dir', dataDir, '--json');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.out)).toMatchObject({ ok: true, format: 'jsonl', entries: expect.any(Number) as number, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect((await run('audit', 'export', '--format', 'jsonl', '--out', complete, '--data-dir', dataDir)).code).toBe(1); // never overwrites

    const key = join(root, 'audit-key.pem');
    expect((await run('audit', 'public-key', '--out', key, '--data-dir', dataDir)).code).toBe(0);
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const verified = await run('audit', 'verify', complete, '--public-key', key);
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(/^OK: \d+ entries .*\(complete export/);
    expect(verified.out).toMatch(/pinned key/);
    const standalone = spawnSync(process.execPath, [script, complete, '--public-key', key], { encoding: 'utf8' });
    expect(standalone.status).toBe(0);

    const filtered = join(root, 'filtered.jsonl');
    expect((await run('audit', 'export', '--format', 'jsonl', '--account', 'Credit Risk', '--action', 'groups.*', '--from', '2000-01-01', '--out', filtered, '--data-dir', dataDir)).code).toBe(0);
    const lines = readFileSync(filtered, 'utf8').trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('{"v":1,'))).toHaveLength(1);
    expect((await run('audit', 'verify', filtered, '--public-key', key, '--json')).code).toBe(0);

    const tampered = join(root, 'tampered.jsonl');
    writeFileSync(tampered, readFileSync(filtered, 'utf8').replace('"analyst"', '"admin"'));
    const failed = await run('audit', 'verify', tampered);
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/^FAILED at line \d+, entry \d+: /);
    expect(spawnSync(process.execPath, [script, tampered], { encoding: 'utf8' }).status).toBe(1);

    expect((await run('audit', 'export', '--format', 'xml', '--out', join(root, 'x'), '--data-dir', dataDir)).code).not.toBe(0);
    expect((await run('audit', 'export', '--format', 'csv', '--from', 'yesterday', '--out', join(root, 'x.csv'), '--data-dir', dataDir)).code).toBe(1);
  });

  it('writes CSV and PDF, keeps retention and legal hold, purges nothing under hold, and verifies the installation’s own log', async () => {
    const csv = join(root, 'all.csv');
    expect((await run('audit', 'export', '--format', 'csv', '--out', csv, '--data-dir', dataDir)).code).toBe(0);
    expect(readFileSync(csv, 'utf8')).toMatch(/^seq,time,account/);
    const pdf = join(root, 'summary.pdf');
    expect((await run('audit', 'export', '--format', 'pdf', '--out', pdf, '--data-dir', dataDir)).code).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const retention = await run('audit', 'retention', '--account', 'Credit Risk', '--days', '400', '--hold', '--reason', 'Case 7', '--data-dir', dataDir);
    expect(retention.out).toBe('Credit Risk: entries kept at least 400 days; legal hold ON (Case 7).');
    const purge = await run('audit', 'purge', '--dry-run', '--data-dir', dataDir, '--json');
    expect(JSON.parse(purge.out)).toMatchObject({ ok: true, dryRun: true, purged: 0 });

    const own = await run('audit', 'verify', '--data-dir', dataDir);
    expect(own.code).toBe(0);
    expect(own.out).toMatch(/^OK: the audit log verifies/);
  });
});
