import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { dataDirError } from '../../data-dir/data-dir-error';
import { makePrivateDirSync, PRIVATE_FILE_MODE, restrictToOwnerSync } from '../../data-dir/private-files';
import { requireCurrentSchema, type SchemaStatus } from '../schema-error';
import { migrations } from './migrations';

export const DATABASE_FILE = 'wa-onboard.sqlite';

export interface OpenOptions {
  /** Apply the migrations this release has (DATABASE_MIGRATE=on); otherwise require them applied. */
  migrate: boolean;
}

/**
 * The SQLite file under `dataDir`, at the current schema. A folder or a disk that cannot take it
 * (not a directory, not writable, full) is a `DataDirError` naming DATA_DIR.
 */
export function openDatabase(dataDir: string, options: OpenOptions = { migrate: true }): Database.Database {
  const db = openFile(dataDir);
  try {
    if (options.migrate) migrate(db);
    requireCurrentSchema(schemaStatus(db), `the SQLite database ${path.join(dataDir, DATABASE_FILE)}`);
    releaseClaims(db);
  } catch (error) {
    db.close();
    throw dataDirError(dataDir, error) ?? error;
  }
  return db;
}

/** Opens the file without touching its schema (`wa-onboard db status`). */
export function openFile(dataDir: string): Database.Database {
  const file = path.join(dataDir, DATABASE_FILE);
  try {
    makePrivateDirSync(dataDir);
    createPrivately(file);
    return configure(new Database(file));
  } catch (error) {
    throw dataDirError(dataDir, error) ?? error;
  }
}

function configure(db: Database.Database): Database.Database {
  try {
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
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * The file holds codes and customers' messages. SQLite creates it 0644 less the umask, and its -wal
 * and -shm files with the database file's own mode: made 0600 before SQLite opens it, all three
 * are 0600 whatever the umask. Journal files an older release left are made 0600 too.
 */
function createPrivately(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  restrictToOwnerSync([file, `${file}-wal`, `${file}-shm`]);
}

export function schemaStatus(db: Database.Database): SchemaStatus {
  return { applied: db.pragma('user_version', { simple: true }) as number, known: migrations.length };
}

/** Applies the migrations not yet applied, each in its own transaction; returns how many ran. */
export function migrate(db: Database.Database): number {
  const { applied } = schemaStatus(db);
  for (let version = applied; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return Math.max(0, migrations.length - applied);
}

/**
 * One process owns the file, so a claim found at open was left by a process that is gone: its work
 * is free at once, rather than when the lease would have passed.
 */
function releaseClaims(db: Database.Database): void {
  db.exec(`
    UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL;
    UPDATE webhook_forwards SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL;
  `);
}
