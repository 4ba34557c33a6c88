import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SchemaError } from '../schema-error';
import { DATABASE_FILE, schemaStatus } from '../sqlite/database';
import { CopyRefusedError } from './copy-refused';
import { quoted, type CopiedTable } from './copy-tables';

/** A row as SQLite gives it, with its rowid: the order pages are read in. */
export type SourceRow = Record<string, unknown> & { copy_rowid: number };

/** How much one page may hold: rows, and bytes of text and BLOBs (an inbox body may be 3 MB). */
export interface PageLimit {
  rows: number;
  bytes: number;
}

/**
 * The SQLite file of a deployment, opened read-only and read inside one transaction: every table
 * comes from the same moment, even while the service that owns the file keeps writing (WAL readers
 * see the snapshot their transaction started on, and never block the writer).
 */
export class SqliteSnapshot {
  private constructor(
    private readonly db: Database.Database,
    /** The file's absolute path: the name the target records the copy under. */
    readonly file: string,
    readonly schemaVersion: number,
  ) {}

  /** Opens the file in `dataDir`; refuses one that is missing or not at this release's schema. */
  static open(dataDir: string): SqliteSnapshot {
    const file = path.resolve(dataDir, DATABASE_FILE);
    if (!fs.existsSync(file)) {
      throw new CopyRefusedError(`there is no SQLite database at ${file}`, 'pass --from the DATA_DIR of the service to copy (the folder that holds wa-onboard.sqlite)');
    }
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      // Reading waits only while the owner recovers or checkpoints; longer than the service's own.
      db.pragma('busy_timeout = 5000');
      db.exec('BEGIN');
      const { applied, known } = schemaStatus(db);
      if (applied !== known) {
        throw new SchemaError(
          `the SQLite database ${file} has schema version ${applied}; this release copies version ${known}`,
          applied < known
            ? 'start this release of the service on it once (it migrates at start), or run `wa-onboard db migrate` with DATA_DIR set to its folder and DATABASE_URL unset'
            : 'copy it with the newer release of wa-onboard that migrated it',
        );
      }
      return new SqliteSnapshot(db, file, applied);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  count(table: CopiedTable): number {
    return this.db.prepare<[], number>(`SELECT count(*) FROM ${quoted(table.name)}`).pluck().get() ?? 0;
  }

  /**
   * The table's rows in rowid order, a page at a time: each page is its own query, so no statement
   * stays open while the caller writes the previous page elsewhere.
   */
  *pages(table: CopiedTable, limit: PageLimit): Generator<SourceRow[]> {
    const columns = table.columns.map(([name]) => quoted(name)).join(', ');
    const page = this.db.prepare<[number, number], SourceRow>(
      `SELECT rowid AS copy_rowid, ${columns} FROM ${quoted(table.name)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    );
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows: SourceRow[] = [];
      let bytes = 0;
      for (const row of page.iterate(after, limit.rows)) {
        rows.push(row);
        bytes += sizeOf(row);
        if (bytes >= limit.bytes) break;
      }
      if (rows.length === 0) return;
      after = (rows[rows.length - 1] as SourceRow).copy_rowid;
      yield rows;
    }
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

function sizeOf(row: SourceRow): number {
  let bytes = 0;
  for (const value of Object.values(row)) {
    if (Buffer.isBuffer(value)) bytes += value.length;
    else if (typeof value === 'string') bytes += value.length;
  }
  return bytes;
}
