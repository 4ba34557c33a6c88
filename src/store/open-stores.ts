import type { DatabaseSettings } from '../config';
import type { Logger } from '../observability/logger';
import { openPostgresStores } from './postgres/open';
import { openSqliteStores } from './sqlite/open';
import type { Stores } from './stores';

/**
 * The stores the configuration names: PostgreSQL when DATABASE_URL is set, otherwise the SQLite
 * file in DATA_DIR. Rejects, naming the setting to change, when the database cannot be used.
 */
export async function openStores(
  settings: { database: DatabaseSettings; dataDir: string },
  options: { instance: string; logger: Logger },
): Promise<Stores> {
  const { database } = settings;
  if (database.kind === 'sqlite') return openSqliteStores(settings.dataDir, { migrate: database.migrate });
  return openPostgresStores({ url: database.url, poolMax: database.poolMax, migrate: database.migrate, ...options });
}
