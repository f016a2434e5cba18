import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../secrets/index.ts';
import { ensureInstallationId } from './bootstrap.ts';
import { openDatabase, openReadOnly } from './database.ts';
import { inspectStorage } from './doctor.ts';
import type { DoctorCheck } from './doctor.ts';
import { migrate } from './migrations.ts';
import { appMigrations } from './schema.ts';
import { databaseFileName, openStorage } from './storage.ts';
import { tempDir } from './testing/helpers.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function dir(): string {
  const made = tempDir('doctor');
  cleanups.push(made.cleanup);
  return made.path;
}

const fixtureV1 = new URL('./fixtures/schema-v1.fixture.sqlite', import.meta.url).pathname;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
/** The checks, less free space: that one depends on the machine and has its own test. */
const summary = (checks: readonly DoctorCheck[]) => checks.filter((check) => check.name !== 'disk-space').map((check) => `${check.name}:${check.status}`);
const byName = (checks: readonly DoctorCheck[], name: string) => checks.find((check) => check.name === name);

/** The file's bytes and which sidecar files exist: what "doctor changes nothing" means on disk. */
function onDisk(file: string): { sha256: string; journalMode: string; sidecars: string[] } {
  const header = readFileSync(file).subarray(18, 20);
  return { sha256: sha256(file), journalMode: `${header[0]}${header[1]}`, sidecars: ['-wal', '-shm', '-journal'].filter((suffix) => existsSync(`${file}${suffix}`)) };
}

/** A closed installation (WAL mode, no -wal left) and the store holding its master key. */
async function installation(): Promise<{ dataDir: string; file: string; secrets: MemorySecretStore }> {
  const dataDir = dir();
  const secrets = new MemorySecretStore();
  const storage = await openStorage({ dataDir, secrets });
  await storage.dispose();
  return { dataDir, file: join(dataDir, databaseFileName), secrets };
}

/** Overwrites the root page of a table with random bytes, as a disk fault would. */
function corruptTable(file: string, table: string): void {
  const { db } = openReadOnly(file);
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  for (const suffix of ['-wal', '-shm']) if (existsSync(`${file}${suffix}`)) throw new Error('corrupt a closed database only');
  const fd = openSync(file, 'r+');
  writeSync(fd, randomBytes(pageSize), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
}

describe('strongroom doctor (inspectStorage)', () => {
  it('changes nothing in the schema-v1 fixture: same bytes, still a rollback journal, no -wal/-shm; reports the key checks it cannot make', async () => {
    const dataDir = dir();
    const file = join(dataDir, databaseFileName);
    copyFileSync(fixtureV1, file);
    chmodSync(file, 0o600);
    const before = onDisk(file);
    expect(before).toEqual({ sha256: before.sha256, journalMode: '11', sidecars: [] });

    const report = await inspectStorage({ dataDir, secrets: new MemorySecretStore() });
    expect(onDisk(file)).toEqual(before);
    expect(summary(report.checks)).toEqual(['secrets:ok', 'database:ok', 'integrity:ok', 'foreign-keys:ok', 'schema:degraded', 'installation:ok', 'master-key:degraded', 'data-keys:degraded']);
    expect(report.status).toBe('degraded');
    expect(byName(report.checks, 'installation')?.detail).toContain('2 account(s)');
    expect(byName(report.checks, 'master-key')?.detail).toMatch(/^Not checked: schema version 1 predates encryption/);
    expect(byName(report.checks, 'data-keys')?.detail).toMatch(/^Not checked: schema version 1 predates encryption/);
  });

  it('checks the master key and data keys of an older schema that has them, read-only', async () => {
    const dataDir = dir();
    const secrets = new MemorySecretStore();
    const older = await openStorage({ dataDir, secrets, migrations: appMigrations.slice(0, -1) });
    await older.dispose();
    const file = join(dataDir, databaseFileName);
    const before = onDisk(file);
    const report = await inspectStorage({ dataDir, secrets });
    expect(onDisk(file)).toEqual(before);
    expect(summary(report.checks)).toEqual(['secrets:ok', 'database:ok', 'integrity:ok', 'foreign-keys:ok', 'schema:degraded', 'installation:ok', 'master-key:ok', 'data-keys:ok']);
  });

  it('changes nothing in a healthy WAL-mode installation and creates no -wal/-shm beside it', async () => {
    const { dataDir, file, secrets } = await installation();
    const before = onDisk(file);
    expect(before).toEqual({ sha256: before.sha256, journalMode: '22', sidecars: [] });
    const report = await inspectStorage({ dataDir, secrets });
    expect(onDisk(file)).toEqual(before);
    expect(summary(report.checks)).toEqual(['secrets:ok', 'database:ok', 'integrity:ok', 'foreign-keys:ok', 'schema:ok', 'installation:ok', 'master-key:ok', 'data-keys:ok']);
  });

  it('reads a database another connection has open in place, without changing it', async () => {
    const { dataDir, file, secrets } = await installation();
    const holder = openDatabase(file);
    cleanups.push(() => { holder.close(); });
    const before = sha256(file);
    // Free space is this machine's business, not this test's (it has its own test).
    const report = await inspectStorage({ dataDir, secrets, minimumFreeBytes: { failBelow: 0, warnBelow: 0 } });
    expect(report.status).toBe('ok');
    expect(sha256(file)).toBe(before);
  });

  it('on a damaged audit_log page: integrity fails with the SQLite message and the fix, the other checks still run, nothing changes', async () => {
    const { dataDir, file, secrets } = await installation();
    corruptTable(file, 'audit_log');
    const before = onDisk(file);
    const report = await inspectStorage({ dataDir, secrets });
    expect(onDisk(file)).toEqual(before);
    expect(report.status).toBe('failed');
    expect(byName(report.checks, 'integrity')).toEqual({ name: 'integrity', status: 'failed', detail: expect.stringMatching(/database disk image is malformed.*restore the latest backup: strongroom restore FILE/) as string });
    expect(summary(report.checks)).toEqual(['secrets:ok', 'database:ok', 'integrity:failed', 'foreign-keys:ok', 'schema:ok', 'installation:ok', 'master-key:ok', 'data-keys:ok']);
  });

  it('fails a database an interrupted init left (no master key bound, no account, no administrator), and never binds the key it finds', async () => {
    const dataDir = dir();
    const file = join(dataDir, databaseFileName);
    const db = openDatabase(file);
    migrate(db, appMigrations, { file, now: () => 0 });
    const { id } = ensureInstallationId(db);
    db.close();
    // The store has a key under this installation's name (as STRONGROOM_MASTER_KEY serves any).
    const secrets = new MemorySecretStore();
    await secrets.set(`${id}/master-key/v1`, randomBytes(32).toString('base64'));
    const before = onDisk(file);

    const report = await inspectStorage({ dataDir, secrets });
    expect(onDisk(file)).toEqual(before);
    expect(report.status).toBe('failed');
    expect(byName(report.checks, 'installation')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/no account and no local administrator.*Run `strongroom init`/) as string });
    expect(byName(report.checks, 'master-key')).toMatchObject({ status: 'failed', detail: expect.stringContaining('Run `strongroom init` again') as string });
    expect(byName(report.checks, 'data-keys')?.status).toBe('degraded');
  });

  it('fails a file that is not a database, naming the fix, without touching it', async () => {
    const dataDir = dir();
    const file = join(dataDir, databaseFileName);
    const fd = openSync(file, 'w', 0o600);
    writeSync(fd, randomBytes(8192));
    closeSync(fd);
    const before = onDisk(file);
    const report = await inspectStorage({ dataDir, secrets: new MemorySecretStore() });
    expect(onDisk(file)).toEqual(before);
    expect(byName(report.checks, 'integrity')).toMatchObject({ status: 'failed', detail: expect.stringContaining('strongroom restore FILE') as string });
    expect(report.status).toBe('failed');
  });

  it('checks the free space where the data directory lives, failing and warning below the limits', async () => {
    const { dataDir, secrets } = await installation();
    const most = Number.MAX_SAFE_INTEGER;
    const failing = await inspectStorage({ dataDir, secrets, minimumFreeBytes: { failBelow: most, warnBelow: most } });
    expect(byName(failing.checks, 'disk-space')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/^Only \d+ MiB free where .* changes will soon be refused/) as string });
    expect(failing.status).toBe('failed');
    const warning = await inspectStorage({ dataDir, secrets, minimumFreeBytes: { failBelow: 0, warnBelow: most } });
    expect(byName(warning.checks, 'disk-space')?.status).toBe('degraded');
    expect(warning.status).toBe('degraded');
    const fine = await inspectStorage({ dataDir, secrets, minimumFreeBytes: { failBelow: 0, warnBelow: 0 } });
    expect(byName(fine.checks, 'disk-space')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^\d+ MiB free\.$/) as string });
    expect(fine.status).toBe('ok');
  });

  it('says an installation was recorded here when its database is missing, and names restore rather than init', async () => {
    const { dataDir, file, secrets } = await installation();
    renameSync(file, `${file}.moved`);
    const report = await inspectStorage({ dataDir, secrets });
    const database = byName(report.checks, 'database');
    expect(database?.status).toBe('failed');
    expect(database?.detail).toMatch(/^No database at .*, but installation [0-9a-f-]{36} was recorded here on .*strongroom restore FILE/);
    expect(existsSync(file)).toBe(false);
  });
});
