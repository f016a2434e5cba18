// core/storage: the one SQLite database (better-sqlite3, WAL), its migrations, the repository
// bases that seal content per account, key rotation, backup/restore and the doctor's checks.
export { AccountsRepository } from './accounts.ts';
export type { Account } from './accounts.ts';
export { backupDatabase, restoreDatabase } from './backup.ts';
export type { BackupReport, RestoreOptions, RestoreReport, StagedRestore } from './backup.ts';
export { commitsDurably, durableTransaction, integrityProblems, openDatabase } from './database.ts';
export type { OpenDatabaseOptions, SqliteDatabase } from './database.ts';
export { inspectStorage } from './doctor.ts';
export type { CheckStatus, DoctorCheck, DoctorReport } from './doctor.ts';
export { claimDataDirectory, hostLockFileName } from './hostLock.ts';
export type { HostLock, HostLockHolder } from './hostLock.ts';
export { markerFileName, readMarker } from './marker.ts';
export type { InstallationMarker } from './marker.ts';
export { latestVersion, migrate, schemaVersion } from './migrations.ts';
export type { Migration } from './migrations.ts';
export { AccountRepository, Repository } from './repository.ts';
export type { AccountScope, ColumnRef } from './repository.ts';
export { rotateAccountKey, rotateMasterKey } from './rotation.ts';
export type { DataKeyRotation, MasterKeyRotation, RotationOptions, RotationReport } from './rotation.ts';
export { appMigrations, appSealedTables } from './schema.ts';
export type { SealedTable } from './schema.ts';
export { databaseFileName, defaultAccountName, openStorage, requireInstallation, Storage } from './storage.ts';
export type { FirstRun, StorageHealth, StorageOptions } from './storage.ts';
