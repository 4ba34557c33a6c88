import { DatabaseError } from 'pg';
import { StoreError } from '../store-error';

/**
 * SQLSTATEs that pass by themselves: the connection is gone or refused (class 08), the server is
 * shutting down, restarting or not yet accepting (57P01-57P03), a statement timed out or was
 * cancelled (57014), a serialization failure or deadlock (40001, 40P01), a lock was not free
 * (55P03), the server ran short (class 53: connections, memory, disk), an I/O error (class 58), or
 * the server became a read-only standby during a failover (25006).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const TRANSIENT_STATES = new Set(['40001', '40P01', '40003', '55P03', '57014', '57P01', '57P02', '57P03', '25006']);
const TRANSIENT_CLASSES = new Set(['08', '53', '58']);

/**
 * A failure of node-postgres as a `StoreError`. The server's errors carry a SQLSTATE and are
 * classified by it. The driver's own errors (a connection refused, reset or timed out, the pool's
 * connect timeout, a connection terminated mid-query) carry a socket code or none: they are failures
 * to reach the database, so transient. A `TypeError` and its kind are bugs: permanent.
 */
export function postgresStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof DatabaseError) {
    const state = error.code ?? 'unknown';
    const transient = TRANSIENT_STATES.has(state) || TRANSIENT_CLASSES.has(state.slice(0, 2));
    return new StoreError(`PostgreSQL: ${message} (${state})`, { transient, code: state, cause: error });
  }
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'connection';
  const reachFailure = error instanceof Error && (error.constructor === Error || /^E[A-Z]+$/.test(code));
  return new StoreError(`PostgreSQL: ${message}`, { transient: reachFailure, code, cause: error });
}

/** True when the error means the connection it came from cannot be used again. */
export function brokenConnection(error: unknown): boolean {
  if (error instanceof DatabaseError) return TRANSIENT_CLASSES.has((error.code ?? '').slice(0, 2)) || (error.code ?? '').startsWith('57P');
  return !(error instanceof StoreError) && error instanceof Error && error.constructor === Error;
}
