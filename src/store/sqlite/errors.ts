import { StoreError } from '../store-error';

/**
 * SQLite result codes that pass by themselves: another process holds the lock, or the disk is
 * full or failing to write (space freed, a limit lifted). https://www.sqlite.org/rescode.html
 */
const TRANSIENT = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL', 'SQLITE_NOMEM'];

/** A failure of better-sqlite3 as a `StoreError`, classified by its result code (extended codes by their primary). */
export function sqliteStoreError(error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : 'unknown';
  const transient = TRANSIENT.some((primary) => code === primary || code.startsWith(`${primary}_`));
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`SQLite: ${message}`, { transient, code, cause: error });
}
