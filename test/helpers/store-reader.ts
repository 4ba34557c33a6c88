import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { connectionConfig } from '../../src/store/postgres/pool';
import { DATABASE_FILE } from '../../src/store/sqlite/database';

/** Where a service keeps its data: the SQLite file in `dataDir`, or PostgreSQL at `databaseUrl`. */
export interface StoreLocation {
  dataDir: string;
  databaseUrl?: string;
}

/** Reads rows with SQL that both databases accept (no parameters; `CAST(count(*) AS INTEGER)` for counts). */
export type ReadRows = <T>(sql: string) => Promise<T[]>;

/**
 * Asks the service's database directly, from outside the service, the way an auditor would: a
 * read-only connection to the SQLite file, or a connection of its own to PostgreSQL, opened for
 * this question and closed after it (so no test holds a lock the service would wait on).
 */
export async function readStore<R>(where: StoreLocation, question: (rows: ReadRows) => Promise<R>): Promise<R> {
  if (where.databaseUrl) {
    // The service's own bounds on a statement are for requests; an audit of every row may take longer.
    const client = new pg.Client({ ...connectionConfig(where.databaseUrl), statement_timeout: undefined, query_timeout: undefined });
    await client.connect();
    try {
      return await question(async <T>(sql: string) => (await client.query(sql)).rows as T[]);
    } finally {
      await client.end();
    }
  }
  const file = path.join(where.dataDir, DATABASE_FILE);
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return await question(<T>(sql: string) => Promise.resolve(db.prepare(sql).all() as T[]));
  } finally {
    db.close();
  }
}

/** Everything the database holds, as text: to show that a secret is stored nowhere. */
export async function everythingStored(where: StoreLocation): Promise<string> {
  if (!where.databaseUrl) return fs.readFileSync(path.join(where.dataDir, DATABASE_FILE)).toString('latin1');
  return readStore(where, async (rows) => {
    const tables = await rows<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
    );
    const dumps: string[] = [];
    for (const { name } of tables) {
      for (const row of await rows<{ text: string }>(`SELECT t::text AS text FROM ${name} t`)) dumps.push(row.text);
    }
    return dumps.join('\n');
  });
}
