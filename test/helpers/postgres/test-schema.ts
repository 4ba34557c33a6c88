import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_POSTGRES_ENV } from './global-setup';

/** The test database's URL, when the run has PostgreSQL (see global-setup.ts). */
export function testPostgresUrl(): string | undefined {
  return process.env[TEST_POSTGRES_ENV] || undefined;
}

export interface TestSchema {
  /** The database URL with this schema first on the search path: the stores create their tables in it. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty schema in the test database: a database of its own for one test, made in a
 * millisecond (a new database would cost a checkpoint). Its advisory locks are its own too, as the
 * stores key them by schema.
 */
export async function freshSchema(): Promise<TestSchema> {
  const base = testPostgresUrl();
  if (!base) throw new Error('this run has no PostgreSQL');
  const name = `t_${randomBytes(6).toString('hex')}`;
  await adminQuery(base, `CREATE SCHEMA ${name}`);
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(base, `DROP SCHEMA IF EXISTS ${name} CASCADE`),
  };
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
