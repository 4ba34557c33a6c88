import type { CallStore } from './call-store';
import type { SessionStore } from './session-store';
import type { Signals } from './signals';
import type { WebhookStore } from './webhook-store';

/**
 * Everything the service keeps, on one database: the embedded SQLite file (one instance), or a
 * shared PostgreSQL (any number of instances). Opened once from the configuration (`openStores`),
 * closed once: `close()` ends every store and the database connection behind them.
 */
export interface Stores {
  backend: 'sqlite' | 'postgres';
  calls: CallStore;
  webhooks: WebhookStore;
  sessions: SessionStore;
  /** Wake-ups for the workers and open pages, across instances on a shared database. */
  signals: Signals;
  /** Rejects when the database does not answer (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
