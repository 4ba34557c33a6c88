import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from './migrations';

export const DATABASE_FILE = 'wa-onboard.sqlite';

/** The SQLite file under `dataDir`, migrated to the current schema. */
export function openDatabase(dataDir: string): Database.Database {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, DATABASE_FILE));
  // WAL: readers never wait on the writer, and a commit is one append (plus one sync) to the log.
  db.pragma('journal_mode = WAL');
  // FULL: what Twilio or Meta was told we have must survive a power cut, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Only another process (a sqlite3 shell, a backup tool) can hold the lock: one service owns a
  // DATA_DIR. Each wait blocks the thread (better-sqlite3 is synchronous), every other request
  // with it, so it is kept short: past it the write fails, and its request is answered 503.
  db.pragma('busy_timeout = 250');
  // After a checkpoint the log is cut back to 64 MB, so a burst does not keep its size on disk.
  db.pragma('journal_size_limit = 67108864');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number;
  for (let version = applied; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
