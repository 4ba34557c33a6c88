/**
 * A store failed. `transient` failures pass (a lost connection, a database restarting, a
 * serialization failure, a lock held elsewhere, a full disk being freed): the intake answers 503 so
 * Meta delivers again, and background work tries again with backoff. Other failures are bugs or a
 * broken schema: they are logged as errors and tried again at the next poll.
 *
 * Adapters classify by the driver's error codes (SQLSTATE, SQLite result codes, Node's socket
 * codes), never by message text.
 */
export class StoreError extends Error {
  readonly transient: boolean;
  /** The driver's code: `SQLITE_BUSY`, `57P01`, `ECONNREFUSED`, ... or `unknown`. */
  readonly code: string;

  constructor(message: string, options: { transient: boolean; code: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StoreError';
    this.transient = options.transient;
    this.code = options.code;
  }
}

/** True for a store failure that is expected to pass by itself. */
export function isTransientStoreError(error: unknown): boolean {
  return error instanceof StoreError && error.transient;
}
