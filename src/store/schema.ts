import fs from 'node:fs';
import path from 'node:path';
import { maskedDatabaseUrl, type DatabaseSettings } from '../config';
import { describeConnectFailure } from './postgres/connect-failure';
import { migrate as migratePostgres, schemaStatus as postgresSchema } from './postgres/migrate';
import { Database } from './postgres/pool';
import type { SchemaStatus } from './schema-error';
import { DATABASE_FILE, migrate as migrateSqlite, openFile, schemaStatus as sqliteSchema } from './sqlite/database';
import { migrations as sqliteMigrations } from './sqlite/migrations';

/** A database's schema as `wa-onboard db status` shows it: where, and how far. */
export interface SchemaReport extends SchemaStatus {
  backend: 'sqlite' | 'postgres';
  /** The SQLite file, or the URL with its password masked. */
  where: string;
  /** Migrations applied by this call (`db migrate`). */
  appliedNow: number;
}

/** Reads (and with `migrate`, brings up to date) the schema of the database the settings name. */
export async function schemaOf(
  settings: { database: DatabaseSettings; dataDir: string },
  options: { migrate: boolean },
): Promise<SchemaReport> {
  const { database } = settings;
  if (database.kind === 'sqlite') {
    const file = path.join(settings.dataDir, DATABASE_FILE);
    // Only reading: a database that is not there yet is not made here (the first start makes it).
    if (!options.migrate && !fs.existsSync(file)) return { backend: 'sqlite', where: `${file} (not created yet)`, appliedNow: 0, applied: 0, known: sqliteMigrations.length };
    const db = openFile(settings.dataDir);
    try {
      const appliedNow = options.migrate ? migrateSqlite(db) : 0;
      return { backend: 'sqlite', where: file, appliedNow, ...sqliteSchema(db) };
    } finally {
      db.close();
    }
  }
  const db = new Database({ url: database.url, max: 1 }, () => undefined);
  try {
    const client = await db.checkout().catch((error: unknown) => {
      throw describeConnectFailure(database.url, error);
    });
    try {
      const appliedNow = options.migrate ? await migratePostgres(client) : 0;
      return { backend: 'postgres', where: maskedDatabaseUrl(database.url), appliedNow, ...(await postgresSchema(client)) };
    } finally {
      client.release();
    }
  } finally {
    await db.close();
  }
}
