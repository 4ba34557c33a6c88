import pg from 'pg';
import { StoreError } from '../store-error';
import { postgresStoreError, brokenConnection } from './errors';
import { lockArgs } from './locks';

/** Runs one statement: its rows, or a `StoreError`. */
export type Query = <R = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<R[]>;

export interface PoolSettings {
  url: string;
  max: number;
}

// node-postgres reads int8 (count(*), bigint ids) as strings, since they can pass 2^53; ours are
// ids and counts that never will, so they are read as numbers. Per pool, not process-wide.
const INT8 = 20;
const readInt8 = (value: string): number => Number(value);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? readInt8 : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

/** The connection settings every connection of ours shares, the pool's and the listener's. */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: 'wa-onboard',
    types,
    keepAlive: true,
    // A server that never answers (a dead host, a black-holed route) fails a request within
    // seconds: the intake answers 503 and Meta retries, it never hangs.
    connectionTimeoutMillis: 5_000,
    query_timeout: 20_000,
    statement_timeout: 15_000,
    // A transaction left open by a stalled instance must not hold the dispatch lock for long.
    idle_in_transaction_session_timeout: 30_000,
  };
}

/**
 * A pool of connections with the two ways the stores use it: a statement on its own (committed
 * by itself), or a transaction. Connections lost to a restart are dropped and replaced on the next
 * request, so the service recovers without a restart of its own.
 */
export class Database {
  readonly pool: pg.Pool;

  constructor(settings: PoolSettings, onIdleError: (error: Error) => void) {
    this.pool = new pg.Pool({ ...connectionConfig(settings.url), max: settings.max, idleTimeoutMillis: 30_000 });
    // An idle connection that the server closed (a restart) is reported here, not to a caller.
    this.pool.on('error', onIdleError);
  }

  readonly query: Query = async <R>(sql: string, params?: unknown[]) => {
    try {
      return (await this.pool.query(sql, params?.map(storable))).rows as R[];
    } catch (error) {
      throw postgresStoreError(error);
    }
  };

  /**
   * Runs `work` in one transaction on one connection. `synchronousCommit: false` commits without
   * waiting for the WAL to reach the disk: only for writes that can be redone (see each store
   * method). `lock` takes a transaction-scoped advisory lock first: the one dispatch (or prune) of
   * all instances; with `wait: false`, `work` is not run when another holds it, and null returned.
   */
  async transaction<T>(
    work: (query: Query) => Promise<T>,
    options: { synchronousCommit?: boolean; lock?: { key: number; wait: boolean } } = {},
  ): Promise<T | null> {
    const client = await this.checkout();
    // Failures of the database are StoreErrors from here on; anything else `work` throws is the
    // caller's own (a bug, a refusal) and passes through as it is.
    const run = async <R>(sql: string, params?: unknown[]): Promise<R[]> => {
      try {
        return (await client.query(sql, params?.map(storable))).rows as R[];
      } catch (error) {
        throw postgresStoreError(error);
      }
    };
    let failure: unknown;
    try {
      await run(options.synchronousCommit === false ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
      if (options.lock) {
        if (options.lock.wait) {
          await run(`SELECT pg_advisory_xact_lock(${lockArgs(1)})`, [options.lock.key]);
        } else {
          const [row] = await run<{ got: boolean }>(`SELECT pg_try_advisory_xact_lock(${lockArgs(1)}) AS got`, [options.lock.key]);
          if (row?.got !== true) {
            await run('ROLLBACK');
            return null;
          }
        }
      }
      const result = await work(run);
      await run('COMMIT');
      return result;
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // A connection that broke mid-transaction is destroyed, not handed to the next caller.
      const cause = failure instanceof StoreError ? failure.cause : failure;
      client.release(cause !== undefined && brokenConnection(cause) ? (cause as Error) : undefined);
    }
  }

  /**
   * A connection of the pool for a caller's own use; `release()` gives it back. pg-pool takes its
   * error listener off a client it hands out: a connection the server ends while we hold it (a
   * restart, a failover, pg_terminate_backend) between two queries would emit an 'error' no one
   * hears, an uncaught exception that ends the process. Heard here instead: the next query on it
   * fails, and it is destroyed when released rather than handed to the next caller.
   */
  async checkout(): Promise<pg.PoolClient> {
    try {
      return await new Promise<pg.PoolClient>((resolve, reject) => {
        // The callback form, so the listener is on before anything else runs: a client handed out
        // as it finishes connecting may meet the server's "terminating connection" in the same read
        // of the socket, before a promise's continuation could attach it.
        this.pool.connect((error, client) => {
          if (error || !client) return reject(error ?? new Error('the pool gave no connection'));
          resolve(withLossHeard(client));
        });
      });
    } catch (error) {
      throw postgresStoreError(error);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * PostgreSQL's text cannot hold U+0000 (SQLite's can): a NUL that a caller slipped into a Twilio
 * parameter or an id in Meta's JSON would fail the whole write, and with it the call's record or a
 * dispatch, again and again. It is stored as U+FFFD, the replacement character, instead.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (Array.isArray(value)) return value.map(storable);
  return value;
}

/** `($1, $2), ($3, $4)` for `rows` rows of `width` values each, numbered from `$first`. */
export function placeholders(rows: number, width: number, first = 1): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < width; c++) cells.push(`$${first + r * width + c}`);
    tuples.push(`(${cells.join(', ')})`);
  }
  return tuples.join(', ');
}

/**
 * Hears the 'error' a client emits when the server ends its connection while we hold it; the next
 * query on it fails, and `release()` destroys it rather than handing it to the next caller.
 */
function withLossHeard(client: pg.PoolClient): pg.PoolClient {
  let lost: Error | undefined;
  const hear = (error: Error) => (lost = error);
  client.on('error', hear);
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    client.removeListener('error', hear);
    release(error ?? lost);
  };
  return client;
}
