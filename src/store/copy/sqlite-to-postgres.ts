import { maskedDatabaseUrl } from '../../config';
import { describeConnectFailure } from '../postgres/connect-failure';
import { migrate, schemaStatus } from '../postgres/migrate';
import { Database, type Query } from '../postgres/pool';
import { requireCurrentSchema } from '../schema-error';
import { claimTarget, finishCopy, type CopyStart } from './copy-ledger';
import { COPIED_TABLES } from './copy-tables';
import { copyTable, type TableCount } from './copy-table';
import { SqliteSnapshot } from './sqlite-snapshot';

/** What the copy tells its caller as it goes, for progress. */
export interface CopyObserver {
  /** The target took this source: a first copy, or one resumed. */
  started(info: { source: string; schemaVersion: number; migrationsApplied: number; start: CopyStart }): void;
  /** After each page of a table: rows done of its rows in the snapshot. */
  progress(table: string, done: number, total: number): void;
  tableDone(table: string, count: TableCount): void;
}

export interface CopyReport {
  /** The SQLite file's absolute path, as the target records it. */
  source: string;
  /** The target's URL, its password masked. */
  target: string;
  resumed: boolean;
  tables: Record<string, TableCount>;
}

/**
 * Copies the SQLite database in `fromDir` into the PostgreSQL database at `toUrl`: the source read
 * from one snapshot (it may belong to a running service), the target migrated, then taken for this
 * source (empty, or already recording it), then each table in its own transaction. Running it again
 * adds what is missing: after an interruption, or once the SQLite service has stopped.
 */
export async function copySqliteToPostgres(fromDir: string, toUrl: string, observer: CopyObserver): Promise<CopyReport> {
  // The source first: a file this release cannot read leaves the target untouched.
  const source = SqliteSnapshot.open(fromDir);
  const db = new Database({ url: toUrl, max: 1 }, () => undefined);
  try {
    const migrationsApplied = await prepareTarget(db, toUrl);
    const start = await inTransaction(db, (query) => claimTarget(query, source.file));
    observer.started({ source: source.file, schemaVersion: source.schemaVersion, migrationsApplied, start });
    const tables: Record<string, TableCount> = {};
    for (const table of COPIED_TABLES) {
      const count = await inTransaction(db, (query) => copyTable(query, source, table, (done, total) => observer.progress(table.name, done, total)));
      tables[table.name] = count;
      observer.tableDone(table.name, count);
    }
    await finishCopy(db.query, source.file);
    return { source: source.file, target: maskedDatabaseUrl(toUrl), resumed: start.resumed, tables };
  } finally {
    source.close();
    await db.close();
  }
}

/** Connects (a failure names the URL, masked, and what failed) and brings the schema to this release's. */
async function prepareTarget(db: Database, url: string): Promise<number> {
  const client = await db.checkout().catch((error: unknown) => {
    throw describeConnectFailure(url, error);
  });
  try {
    const applied = await migrate(client);
    requireCurrentSchema(await schemaStatus(client), `the database at ${maskedDatabaseUrl(url)}`);
    return applied;
  } finally {
    client.release();
  }
}

/** `work` in one transaction of the pool; a refusal of ours comes back as itself. */
async function inTransaction<T>(db: Database, work: (query: Query) => Promise<T>): Promise<T> {
  // Null only for a transaction that asked for a lock without waiting: never here.
  return (await db.transaction(work)) as T;
}
