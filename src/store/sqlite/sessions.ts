import type Database from 'better-sqlite3';
import type { SyncOf } from './async-of';
import type { SessionStore } from '../session-store';

/** Sessions in `admin_sessions`: they survive a restart, so a deploy does not sign the operator out. */
export class SqliteSessions implements SyncOf<SessionStore> {
  constructor(private readonly db: Database.Database) {}

  openSession(tokenHash: string, now: Date, expiresAt: Date): void {
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM admin_sessions WHERE expires_at <= ?`).run(now.getTime());
      this.db
        .prepare(`INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES (?, ?, ?)`)
        .run(tokenHash, now.getTime(), expiresAt.getTime());
    })();
  }

  isSessionOpen(tokenHash: string, now: Date): boolean {
    const row = this.db
      .prepare(`SELECT 1 FROM admin_sessions WHERE token_hash = ? AND expires_at > ?`)
      .get(tokenHash, now.getTime());
    return row !== undefined;
  }

  closeSession(tokenHash: string): void {
    this.db.prepare(`DELETE FROM admin_sessions WHERE token_hash = ?`).run(tokenHash);
  }
}
