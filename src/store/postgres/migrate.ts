import type pg from 'pg';
import type { SchemaStatus } from '../schema-error';
import { postgresStoreError } from './errors';
import { lockArgs, LOCKS } from './locks';
import { migrations } from './migrations';

const LEDGER = `CREATE TABLE IF NOT EXISTS wa_onboard_migrations (
  version    integer PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** How far the database's schema is (0 for an empty database). */
export async function schemaStatus(client: pg.ClientBase): Promise<SchemaStatus> {
  try {
    // A table that does not exist cannot even be named in a query that would not read it.
    const [ledger] = (await client.query<{ found: boolean }>(`SELECT to_regclass('wa_onboard_migrations') IS NOT NULL AS found`)).rows;
    if (!ledger?.found) return { applied: 0, known: migrations.length };
    const [row] = (await client.query<{ applied: number | null }>(`SELECT max(version) AS applied FROM wa_onboard_migrations`)).rows;
    return { applied: Number(row?.applied ?? 0), known: migrations.length };
  } catch (error) {
    throw postgresStoreError(error);
  }
}

/**
 * Applies the migrations the database lacks, each in its own transaction, under an advisory lock:
 * instances starting together wait for the first, then find nothing left to do. Returns how many
 * this call applied.
 */
export async function migrate(client: pg.ClientBase): Promise<number> {
  try {
    await client.query(`SELECT pg_advisory_lock(${lockArgs(1)})`, [LOCKS.migrate]);
    try {
      await client.query(LEDGER);
      const { applied } = await schemaStatus(client);
      for (let version = applied; version < migrations.length; version++) {
        await client.query('BEGIN');
        try {
          await client.query(migrations[version] as string);
          await client.query('INSERT INTO wa_onboard_migrations (version) VALUES ($1)', [version + 1]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
      return Math.max(0, migrations.length - applied);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${lockArgs(1)})`, [LOCKS.migrate]);
    }
  } catch (error) {
    throw postgresStoreError(error);
  }
}
