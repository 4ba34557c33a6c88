import { asyncOf } from './async-of';
import { openDatabase } from './sqlite-database';
import { SqliteForwards } from './sqlite-forwards';
import { SqliteInbox } from './sqlite-inbox';
import { sqliteStoreOn } from './sqlite-store';
import { SqliteWebhookViews } from './sqlite-webhook-views';
import type { Store } from './store';
import type { WebhookStore } from './webhook-store';

/** Both stores on one SQLite file under `dataDir`; `store.close()` closes it. */
export function openSqliteStores(dataDir: string): { store: Store; webhooks: WebhookStore } {
  const db = openDatabase(dataDir);
  return {
    store: sqliteStoreOn(db),
    webhooks: asyncOf<WebhookStore>(new SqliteInbox(db), new SqliteForwards(db), new SqliteWebhookViews(db)),
  };
}
