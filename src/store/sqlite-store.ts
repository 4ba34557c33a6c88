import type Database from 'better-sqlite3';
import { asyncOf, type SyncOf } from './async-of';
import { openDatabase } from './sqlite-database';
import { SqliteCallViews } from './sqlite-call-views';
import { toJob, type DueRow } from './sqlite-rows';
import type { CallInfo, CapturedCode, DeliveryJob, Recipient, Store } from './store';

/** The store on a SQLite file under `dataDir`. */
export function openSqliteStore(dataDir: string): Store {
  return sqliteStoreOn(openDatabase(dataDir));
}

/** The store on an open database; closing the store closes the database. */
export function sqliteStoreOn(db: Database.Database): Store {
  return asyncOf<Store>(new SqliteStore(db), new SqliteCallViews(db));
}

type WritePart = Omit<Store, keyof SqliteCallViews>;

class SqliteStore implements SyncOf<WritePart> {
  constructor(private readonly db: Database.Database) {}

  recordCall(call: CallInfo, at: Date): void {
    this.db
      .prepare(
        `INSERT INTO calls (call_sid, from_number, to_number, started_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (call_sid) DO NOTHING`,
      )
      .run(call.callSid, call.from, call.to, at.getTime());
  }

  addHeard(callSid: string, text: string): void {
    this.db
      .prepare(`UPDATE calls SET heard = json_insert(heard, '$[#]', ?) WHERE call_sid = ?`)
      .run(text, callSid);
  }

  setRecordingUrl(callSid: string, url: string, options: { replace: boolean }): void {
    const keep = options.replace ? '' : ' AND recording_url IS NULL';
    this.db.prepare(`UPDATE calls SET recording_url = ? WHERE call_sid = ?${keep}`).run(url, callSid);
  }

  markFallback(callSid: string, at: Date): void {
    this.db.prepare(`UPDATE calls SET fallback_at = COALESCE(fallback_at, ?) WHERE call_sid = ?`).run(at.getTime(), callSid);
  }

  callState(callSid: string): { hasCode: boolean; fallback: boolean } {
    const row = this.db.prepare(`SELECT fallback_at FROM calls WHERE call_sid = ?`).get(callSid) as
      | { fallback_at: number | null }
      | undefined;
    return { hasCode: this.hasCode(callSid), fallback: row?.fallback_at != null };
  }

  captureCode(captured: CapturedCode, recipients: Recipient[], now: Date): { created: boolean } {
    return this.db.transaction(() => {
      this.recordCall(captured.call, captured.receivedAt);
      const inserted = this.db
        .prepare(
          `INSERT INTO codes (call_sid, code, source, received_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (call_sid, code) DO NOTHING`,
        )
        .run(captured.call.callSid, captured.code, captured.source, captured.receivedAt.getTime());
      if (inserted.changes === 0) return { created: false };
      const insertDelivery = this.db.prepare(
        `INSERT INTO deliveries (kind, call_sid, code_id, channel, recipient, next_attempt_at, created_at)
         VALUES ('code', ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of recipients) {
        insertDelivery.run(captured.call.callSid, inserted.lastInsertRowid, r.channel, r.to, now.getTime(), now.getTime());
      }
      this.db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled'
           WHERE kind = 'missed-call' AND call_sid = ? AND status = 'pending'`,
        )
        .run(captured.call.callSid);
      return { created: true };
    })();
  }

  private hasCode(callSid: string): boolean {
    return this.db.prepare(`SELECT 1 FROM codes WHERE call_sid = ? LIMIT 1`).get(callSid) !== undefined;
  }

  scheduleMissedCallNotice(callSid: string, recipients: Recipient[], dueAt: Date, now: Date): boolean {
    return this.db.transaction(() => {
      if (this.hasCode(callSid)) return false;
      // code_id is NULL here, and NULLs never collide in a UNIQUE index: check for an existing notice.
      const exists = this.db
        .prepare(`SELECT 1 FROM deliveries WHERE kind = 'missed-call' AND call_sid = ? LIMIT 1`)
        .get(callSid);
      if (exists) return false;
      const insert = this.db.prepare(
        `INSERT INTO deliveries (kind, call_sid, channel, recipient, next_attempt_at, created_at)
         VALUES ('missed-call', ?, ?, ?, ?, ?)`,
      );
      for (const r of recipients) insert.run(callSid, r.channel, r.to, dueAt.getTime(), now.getTime());
      return true;
    })();
  }

  releaseMissedCallNotice(callSid: string, at: Date): void {
    this.db
      .prepare(
        `UPDATE deliveries SET next_attempt_at = MIN(next_attempt_at, ?)
         WHERE kind = 'missed-call' AND call_sid = ? AND status = 'pending' AND attempts = 0`,
      )
      .run(at.getTime(), callSid);
  }

  dueDeliveries(now: Date, limit: number, excludeIds: number[] = []): DeliveryJob[] {
    const rows = this.db
      .prepare(
        `SELECT d.id, d.kind, d.channel, d.recipient, d.attempts, d.created_at,
                c.call_sid, c.from_number, c.to_number, c.recording_url, c.heard,
                k.code, k.source, k.received_at
         FROM deliveries d
         JOIN calls c ON c.call_sid = d.call_sid
         LEFT JOIN codes k ON k.id = d.code_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ?
           AND d.id NOT IN (SELECT value FROM json_each(?))
         ORDER BY d.next_attempt_at, d.id
         LIMIT ?`,
      )
      .all(now.getTime(), JSON.stringify(excludeIds), limit) as DueRow[];
    return rows.map(toJob);
  }

  markDeliverySent(id: number, at: Date): void {
    this.db
      .prepare(`UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE id = ?`)
      .run(at.getTime(), id);
  }

  markDeliveryRetry(id: number, error: string, nextAttemptAt: Date): void {
    this.db
      .prepare(`UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`)
      .run(error, nextAttemptAt.getTime(), id);
  }

  markDeliveryFailed(id: number, error: string): void {
    this.db
      .prepare(`UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`)
      .run(error, id);
  }

  nextDueAt(): Date | null {
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE status = 'pending'`)
      .get() as { at: number | null };
    return row.at === null ? null : new Date(row.at);
  }

  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  close(): void {
    this.db.close();
  }
}
