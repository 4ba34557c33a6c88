import path from 'node:path';
import Database from 'better-sqlite3';

/** The webhook POSTs stored in the service's SQLite file, read directly (not through the service). */
export function inboxRows(dataDir: string): Array<{ body: Buffer; state: string; problem: string | null; signed_with: string; signature: string | null }> {
  const db = new Database(path.join(dataDir, 'wa-onboard.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT body, state, problem, signed_with, signature FROM webhook_inbox ORDER BY id`).all() as ReturnType<typeof inboxRows>;
  } finally {
    db.close();
  }
}
