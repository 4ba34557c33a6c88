import type { Logger } from '../../observability/logger';
import { requireCurrentSchema } from '../schema-error';
import type { Stores } from '../stores';
import type { CallStore } from '../call-store';
import type { WebhookStore } from '../webhook-store';
import { PostgresCallRetention } from './call-retention';
import { PostgresCallStore } from './call-store';
import { PostgresCallViews } from './call-views';
import { describeConnectFailure } from './connect-failure';
import { PostgresDeadLetters } from './dead-letters';
import { PostgresForwards } from './forwards';
import { PostgresInbox } from './inbox';
import { migrate, schemaStatus } from './migrate';
import { Database } from './pool';
import { PostgresSessions } from './sessions';
import { PostgresSignals } from './signals';
import { PostgresWebhookViews } from './webhook-views';
import { maskedDatabaseUrl } from '../../config';

export interface PostgresOptions {
  url: string;
  poolMax: number;
  migrate: boolean;
  /** This instance, named in its notifications. */
  instance: string;
  logger: Logger;
}

/**
 * Every store on a shared PostgreSQL. Connects (a failure names DATABASE_URL and what failed),
 * applies the migrations (or, with DATABASE_MIGRATE=off, requires them applied), refuses a schema
 * newer than this release, then listens for the other instances' wake-ups.
 */
export async function openPostgresStores(options: PostgresOptions): Promise<Stores> {
  const db = new Database({ url: options.url, max: options.poolMax }, (error) =>
    options.logger.warn({ err: error.message }, 'a pooled database connection was closed; it is replaced on the next request'),
  );
  try {
    const client = await db.checkout().catch((error: unknown) => {
      throw describeConnectFailure(options.url, error);
    });
    try {
      if (options.migrate) {
        const applied = await migrate(client);
        if (applied > 0) options.logger.info({ applied }, 'applied database migrations');
      }
      requireCurrentSchema(await schemaStatus(client), `the database at ${maskedDatabaseUrl(options.url)}`);
    } finally {
      client.release();
    }
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  const signals = new PostgresSignals(db, options.url, options.instance, options.logger);
  await signals.start();
  const calls = new PostgresCallStore(db);
  const callViews = new PostgresCallViews(db);
  const inbox = new PostgresInbox(db);
  const forwards = new PostgresForwards(db);
  const views = new PostgresWebhookViews(db);
  return {
    backend: 'postgres',
    calls: bound<CallStore>(calls, callViews, new PostgresCallRetention(db)),
    webhooks: bound<WebhookStore>(inbox, forwards, views, new PostgresDeadLetters(db)),
    sessions: new PostgresSessions(db),
    signals,
    async ping() {
      await db.query('SELECT 1');
    },
    async close() {
      await signals.close();
      await db.close();
    },
  };
}

/** One store made of several classes' methods, each bound to its own instance. */
function bound<S>(...parts: object[]): S {
  const store: Record<string, unknown> = {};
  for (const part of parts) {
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(part))) {
      const method = (part as Record<string, unknown>)[name];
      if (name !== 'constructor' && typeof method === 'function') store[name] = method.bind(part);
    }
  }
  return store as S;
}
