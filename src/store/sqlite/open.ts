import { LocalSignals } from '../signals';
import type { SessionStore } from '../session-store';
import type { Stores } from '../stores';
import type { CallStore } from '../call-store';
import type { WebhookStore } from '../webhook-store';
import { asyncOf } from './async-of';
import { SqliteCallRetention } from './call-retention';
import { SqliteCallStore } from './call-store';
import { SqliteCallViews } from './call-views';
import { openDatabase, type OpenOptions } from './database';
import { SqliteDeadLetters } from './dead-letters';
import { sqliteStoreError } from './errors';
import { SqliteForwards } from './forwards';
import { SqliteInbox } from './inbox';
import { SqliteSessions } from './sessions';
import { WalSync } from './wal-sync';
import { SqliteWebhookViews } from './webhook-views';

/** Every store on the one SQLite file under `dataDir`: the embedded default, for one instance. */
export function openSqliteStores(dataDir: string, options: OpenOptions = { migrate: true }): Stores {
  const db = openDatabase(dataDir, options);
  const wal = new WalSync(`${db.name}-wal`);
  const signals = new LocalSignals();
  return {
    backend: 'sqlite',
    calls: asyncOf<CallStore>(new SqliteCallStore(db), new SqliteCallViews(db), new SqliteCallRetention(db)),
    webhooks: asyncOf<WebhookStore>(new SqliteInbox(db, wal), new SqliteForwards(db), new SqliteWebhookViews(db), new SqliteDeadLetters(db)),
    sessions: asyncOf<SessionStore>(new SqliteSessions(db)),
    signals,
    ping() {
      try {
        db.prepare('SELECT 1').get();
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(sqliteStoreError(error));
      }
    },
    async close() {
      await signals.close();
      await wal.close();
      if (db.open) db.close();
    },
  };
}
