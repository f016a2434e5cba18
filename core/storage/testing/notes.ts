// A content table for tests, the crash child and the benchmark: the smallest real user of the
// repository bases. Not part of the app schema.
import { randomUUID } from 'node:crypto';
import type { Sealed } from '../../crypto/index.ts';
import type { Migration } from '../migrations.ts';
import { AccountRepository } from '../repository.ts';
import { appMigrations } from '../schema.ts';
import type { SealedTable } from '../schema.ts';

export const notesMigration: Migration = {
  version: appMigrations.length + 1,
  name: 'test: notes',
  up(db) {
    db.exec(`CREATE TABLE notes (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts (id),
      seq INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      title BLOB NOT NULL,
      body BLOB NOT NULL
    ) STRICT;
    CREATE INDEX notes_account_seq ON notes (account_id, seq);`);
  },
};

export const testMigrations: readonly Migration[] = [...appMigrations, notesMigration];
export const notesTable: SealedTable = { table: 'notes', idColumn: 'id', accountColumn: 'account_id', columns: ['title', 'body'] };

export interface Note {
  id: string;
  seq: number;
  title: string;
  body: string;
}

interface NoteRow {
  id: string;
  seq: number;
  title: Sealed<string>;
  body: Sealed<string>;
}

export class NotesRepository extends AccountRepository {
  protected readonly table = 'notes';

  add(note: { title: string; body: string; seq?: number }, now = Date.now()): string {
    return this.transaction(() => this.insert(note, now));
  }

  addMany(notes: readonly { title: string; body: string; seq?: number }[], now = Date.now()): string[] {
    return this.transaction(() => notes.map((note) => this.insert(note, now)));
  }

  get(id: string): Note | undefined {
    const row = this.statement<[string, string], NoteRow>('SELECT id, seq, title, body FROM notes WHERE id = ? AND account_id = ?').get(id, this.accountId);
    return row ? this.decode(row) : undefined;
  }

  list(): Note[] {
    return this.statement<[string], NoteRow>('SELECT id, seq, title, body FROM notes WHERE account_id = ? ORDER BY seq, id').all(this.accountId).map((row) => this.decode(row));
  }

  seqs(): number[] {
    return this.statement<[string], number>('SELECT seq FROM notes WHERE account_id = ? ORDER BY seq').pluck().all(this.accountId);
  }

  private insert(note: { title: string; body: string; seq?: number }, now: number): string {
    const id = randomUUID();
    this.statement<[string, string, number, number, Sealed<string>, Sealed<string>]>('INSERT INTO notes (id, account_id, seq, created_at, title, body) VALUES (?, ?, ?, ?, ?, ?)').run(
      id,
      this.accountId,
      note.seq ?? 0,
      now,
      this.sealText('title', id, note.title),
      this.sealText('body', id, note.body),
    );
    return id;
  }

  private decode(row: NoteRow): Note {
    return { id: row.id, seq: row.seq, title: this.open('title', row.id, row.title), body: this.open('body', row.id, row.body) };
  }
}
