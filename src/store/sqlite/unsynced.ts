import type Database from 'better-sqlite3';

/**
 * Runs `write` with `synchronous = NORMAL`: its commit goes to the WAL without waiting for the disk.
 * Only for writes that can be redone from what was synced before: WAL keeps them safe from a crash
 * of the process, and the next synced commit makes them durable; a power cut may lose them, and then
 * they are done again (an event dispatched again, deduplicated; a forward sent again, which
 * at-least-once delivery and its Idempotency-Key allow). The fsync it saves blocks the thread.
 */
export function unsynced<T>(db: Database.Database, write: () => T extends Promise<unknown> ? never : T): T {
  // SQLite refuses to change the level inside a transaction; the outer one decides then.
  if (db.inTransaction) return write();
  const level = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = NORMAL');
  try {
    return write();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
