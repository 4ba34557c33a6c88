import type Database from 'better-sqlite3';
import type { Admission, AdmittedCall, CallInfo, CallStore, CapturedCode, DeliveryJob, Forwarding, PlannedDelivery, Recipient } from '../call-store';
import type { Claim } from '../claims';
import { toJob, type DueRow } from '../rows';
import type { SyncOf } from './async-of';
import { SqliteCallViews } from './call-views';
import { idList } from './id-list';
import { unsynced } from './unsynced';

type WritePart = Omit<CallStore, keyof SqliteCallViews | 'pruneCalls'>;

/** Calls, codes and their deliveries in the SQLite file. */
export class SqliteCallStore implements SyncOf<WritePart> {
  constructor(private readonly db: Database.Database) {}

  recordCall(call: CallInfo, at: Date): void {
    this.insertCall(call, at, call.forwarding ?? 'forwarded');
  }

  admitCall(call: CallInfo, at: Date, admission: Admission): AdmittedCall {
    // One writer at a time: nothing is recorded between the count and the insert.
    return this.db.transaction((): AdmittedCall => {
      const known = this.forwardingOf(call.callSid);
      if (known) return { forwarding: known, created: false, pauseNotice: false };
      const since = at.getTime() - admission.windowMs;
      const forwarded = this.db
        .prepare(`SELECT COUNT(*) FROM calls WHERE forwarding = 'forwarded' AND started_at > ?`)
        .pluck()
        .get(since) as number;
      const paused = this.db.prepare(`SELECT 1 FROM deliveries WHERE kind = 'paused' AND created_at > ? LIMIT 1`).get(since) !== undefined;
      const { forwarding, pause } = admission.decide({ forwarded, paused });
      this.insertCall(call, at, forwarding);
      if (!pause) return { forwarding, created: true, pauseNotice: false };
      const insert = this.db.prepare(
        `INSERT INTO deliveries (kind, call_sid, channel, recipient, next_attempt_at, created_at)
         VALUES ('paused', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      for (const r of admission.recipients) insert.run(call.callSid, r.channel, r.to, at.getTime(), at.getTime());
      return { forwarding, created: true, pauseNotice: admission.recipients.length > 0 };
    })();
  }

  private insertCall(call: CallInfo, at: Date, forwarding: Forwarding): void {
    this.db
      .prepare(
        `INSERT INTO calls (call_sid, from_number, to_number, started_at, rehearsal, forwarding) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (call_sid) DO NOTHING`,
      )
      .run(call.callSid, call.from, call.to, at.getTime(), call.rehearsal ? 1 : 0, forwarding);
  }

  private forwardingOf(callSid: string): Forwarding | undefined {
    return this.db.prepare(`SELECT forwarding FROM calls WHERE call_sid = ?`).pluck().get(callSid) as Forwarding | undefined;
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

  captureCode(captured: CapturedCode, deliveries: PlannedDelivery[], now: Date): { created: boolean } {
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
        `INSERT INTO deliveries (kind, call_sid, code_id, channel, recipient, status, attempts, sent_at, next_attempt_at, created_at)
         VALUES ('code', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const d of deliveries) {
        const sentAt = d.sentAt?.getTime() ?? null;
        insertDelivery.run(
          captured.call.callSid,
          inserted.lastInsertRowid,
          d.channel,
          d.to,
          sentAt === null ? 'pending' : 'sent',
          sentAt === null ? 0 : 1,
          sentAt,
          now.getTime(),
          now.getTime(),
        );
      }
      this.db
        .prepare(
          `UPDATE deliveries SET status = 'cancelled', claimed_by = NULL, claimed_until = NULL
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
    // One writer at a time: the code check and the insert cannot interleave with a capture.
    return this.db.transaction(() => {
      if (this.hasCode(callSid)) return false;
      const insert = this.db.prepare(
        `INSERT INTO deliveries (kind, call_sid, channel, recipient, next_attempt_at, created_at)
         VALUES ('missed-call', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      );
      let scheduled = 0;
      for (const r of recipients) scheduled += insert.run(callSid, r.channel, r.to, dueAt.getTime(), now.getTime()).changes;
      return scheduled > 0;
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

  claimDueDeliveries(claim: Claim, limit: number): DeliveryJob[] {
    const now = claim.now.getTime();
    return unsynced(this.db, this.db.transaction(() => {
      const ids = this.db
        .prepare(
          `SELECT id FROM deliveries
           WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
           ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .pluck()
        .all(now, now, limit) as number[];
      if (ids.length === 0) return [];
      this.db
        .prepare(`UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT value FROM json_each(?))`)
        .run(claim.worker, claim.until.getTime(), idList(ids));
      const rows = this.db
        .prepare(
          `SELECT d.id, d.kind, d.channel, d.recipient, d.attempts, d.created_at,
                  c.call_sid, c.from_number, c.to_number, c.recording_url, c.heard, c.rehearsal,
                  k.code, k.source, k.received_at
           FROM deliveries d
           JOIN calls c ON c.call_sid = d.call_sid
           LEFT JOIN codes k ON k.id = d.code_id
           WHERE d.id IN (SELECT value FROM json_each(?))
           ORDER BY d.next_attempt_at, d.id`,
        )
        .all(idList(ids)) as DueRow[];
      return rows.map(toJob);
    }));
  }

  renewDeliveryClaims(ids: number[], claim: Claim): void {
    if (ids.length === 0) return;
    unsynced(this.db, () =>
      this.db
        .prepare(
          `UPDATE deliveries SET claimed_until = ?
           WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? AND status = 'pending'`,
        )
        .run(claim.until.getTime(), idList(ids), claim.worker),
    );
  }

  markDeliverySent(id: number, at: Date): void {
    this.db
      .prepare(
        `UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL,
           claimed_by = NULL, claimed_until = NULL
         WHERE id = ?`,
      )
      .run(at.getTime(), id);
  }

  markDeliveryRetry(id: number, error: string, nextAttemptAt: Date): void {
    this.db
      .prepare(
        `UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL
         WHERE id = ? AND status = 'pending'`,
      )
      .run(error, nextAttemptAt.getTime(), id);
  }

  markDeliveryFailed(id: number, error: string): void {
    this.db
      .prepare(
        `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = ?, claimed_by = NULL, claimed_until = NULL
         WHERE id = ? AND status = 'pending'`,
      )
      .run(error, id);
  }

  nextDeliveryDueAt(): Date | null {
    const row = this.db
      .prepare(`SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) AS at FROM deliveries WHERE status = 'pending'`)
      .get() as { at: number | null };
    return row.at === null ? null : new Date(row.at);
  }
}
