import type Database from 'better-sqlite3';

/**
 * Runs `write` with `synchronous = NORMAL`: its commit goes to the WAL without waiting for the disk.
 * Only for writes that can be redone from what was synced before, or synced after (the intake:
 * see WalSync): WAL keeps them safe from a crash of the process, and the next synced commit makes
 * them durable; a power cut may lose them, and then they are done again (an event dispatched again,
 * deduplicated; a forward sent again, which at-least-once delivery and its Idempotency-Key allow).
 * The fsync it saves blocks the thread.
 */
export function unsynced<T>(db: Database.Database, write: () => T extends Promise<unknown> ? never : T): T {
  // SQLite refuses to change the level inside a transaction; the outer one decides then.
  if (db.inTransaction) return write();
  const pragmas = pragmasOf(db);
  const level = pragmas.read.get() as number;
  if (level !== NORMAL) pragmas.normal.run();
  try {
    return write();
  } finally {
    if (level === FULL) pragmas.full.run();
    else if (level !== NORMAL) db.pragma(`synchronous = ${Number(level)}`);
  }
}

const NORMAL = 1;
const FULL = 2;

interface Pragmas {
  read: Database.Statement;
  normal: Database.Statement;
  full: Database.Statement;
}

// Prepared once per connection: the intake switches the level on every commit, and `db.pragma()`
// compiles its statement anew each time.
const prepared = new WeakMap<Database.Database, Pragmas>();

function pragmasOf(db: Database.Database): Pragmas {
  let pragmas = prepared.get(db);
  if (!pragmas) {
    pragmas = {
      read: db.prepare('PRAGMA synchronous').pluck(),
      normal: db.prepare(`PRAGMA synchronous = ${NORMAL}`),
      full: db.prepare(`PRAGMA synchronous = ${FULL}`),
    };
    prepared.set(db, pragmas);
  }
  return pragmas;
}
