import type { SessionStore } from '../session-store';
import type { Database } from './pool';

/** Sessions in `admin_sessions`: valid on every instance, and through a deploy. */
export class PostgresSessions implements SessionStore {
  constructor(private readonly db: Database) {}

  async openSession(tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
    await this.db.transaction(async (query) => {
      await query(`DELETE FROM admin_sessions WHERE expires_at <= $1`, [now]);
      await query(`INSERT INTO admin_sessions (token_hash, created_at, expires_at) VALUES ($1, $2, $3)`, [tokenHash, now, expiresAt]);
    });
  }

  async isSessionOpen(tokenHash: string, now: Date): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM admin_sessions WHERE token_hash = $1 AND expires_at > $2`, [tokenHash, now]);
    return rows.length > 0;
  }

  async closeSession(tokenHash: string): Promise<void> {
    await this.db.query(`DELETE FROM admin_sessions WHERE token_hash = $1`, [tokenHash]);
  }
}
