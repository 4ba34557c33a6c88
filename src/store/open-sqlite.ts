import { asyncOf } from './async-of';
import type { SessionStore } from './session-store';
import { openDatabase } from './sqlite-database';
import { SqliteForwards } from './sqlite-forwards';
import { SqliteInbox } from './sqlite-inbox';
import { SqliteSessions } from './sqlite-sessions';
import { sqliteStoreOn } from './sqlite-store';
import { SqliteWebhookViews } from './sqlite-webhook-views';
import type { Store } from './store';
import type { WebhookStore } from './webhook-store';

export interface SqliteStores {
  store: Store;
  webhooks: WebhookStore;
  sessions: SessionStore;
}

/** Every store on one SQLite file under `dataDir`; `store.close()` closes it. */
export function openSqliteStores(dataDir: string): SqliteStores {
  const db = openDatabase(dataDir);
  return {
    store: sqliteStoreOn(db),
    webhooks: asyncOf<WebhookStore>(new SqliteInbox(db), new SqliteForwards(db), new SqliteWebhookViews(db)),
    sessions: asyncOf<SessionStore>(new SqliteSessions(db)),
  };
}
