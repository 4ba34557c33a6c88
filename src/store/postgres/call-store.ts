import type { Admission, AdmittedCall, CallInfo, CallStore, CapturedCode, DeliveryJob, Forwarding, PlannedDelivery, Recipient } from '../call-store';
import type { Claim } from '../claims';
import { toJob, type DueRow } from '../rows';
import { LOCKS } from './locks';
import { placeholders, type Database, type Query } from './pool';

type WritePart = Omit<CallStore, 'listCodes' | 'latestCall' | 'pruneCalls'>;

/** Claimable: pending, due, and held by no live claim. */
const CLAIMABLE = `status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)`;

/** Calls, codes and their deliveries in PostgreSQL, shared by every instance. */
export class PostgresCallStore implements WritePart {
  constructor(private readonly db: Database) {}

  async recordCall(call: CallInfo, at: Date): Promise<void> {
    await recordCallWith(this.db.query, call, at);
  }

  async admitCall(call: CallInfo, at: Date, admission: Admission): Promise<AdmittedCall> {
    // Every request of a call but its first finds it here, without waiting for the lock.
    const known = await forwardingOf(this.db.query, call.callSid);
    if (known) return { forwarding: known, created: false, pauseNotice: false };
    // One admission at a time across all instances: the count a decision reads includes every call
    // decided before it, whichever instance recorded it (read committed reads each statement's
    // snapshot after the lock is taken).
    const admitted = await this.db.transaction(
      async (query): Promise<AdmittedCall> => {
        const since = new Date(at.getTime() - admission.windowMs);
        const [window] = await query<{ forwarded: number; paused: boolean; known: Forwarding | null }>(
          `SELECT (SELECT COUNT(*) FROM calls WHERE forwarding = 'forwarded' AND started_at > $1)::int AS forwarded,
                  EXISTS (SELECT 1 FROM deliveries WHERE kind = 'paused' AND created_at > $1) AS paused,
                  (SELECT forwarding FROM calls WHERE call_sid = $2) AS known`,
          [since, call.callSid],
        );
        if (window?.known) return { forwarding: window.known, created: false, pauseNotice: false };
        const { forwarding, pause } = admission.decide({ forwarded: window?.forwarded ?? 0, paused: window?.paused === true });
        const inserted = await recordCallWith(query, call, at, forwarding);
        // A code moved in from a spool records its call without the lock: it is the call's record.
        if (!inserted) return { forwarding: (await forwardingOf(query, call.callSid)) ?? 'forwarded', created: false, pauseNotice: false };
        if (!pause || admission.recipients.length === 0) return { forwarding, created: true, pauseNotice: false };
        const rows = admission.recipients.map((r) => ['paused', call.callSid, r.channel, r.to, at, at]);
        await query(
          `INSERT INTO deliveries (kind, call_sid, channel, recipient, next_attempt_at, created_at)
           VALUES ${placeholders(rows.length, 6)} ON CONFLICT DO NOTHING`,
          rows.flat(),
        );
        return { forwarding, created: true, pauseNotice: true };
      },
      { lock: { key: LOCKS.callAdmission, wait: true } },
    );
    // Never null: a lock that is waited for is always taken.
    return admitted ?? { forwarding: 'forwarded', created: false, pauseNotice: false };
  }

  async addHeard(callSid: string, text: string): Promise<void> {
    await this.db.query(`UPDATE calls SET heard = heard || jsonb_build_array($1::text) WHERE call_sid = $2`, [text, callSid]);
  }

  async setRecordingUrl(callSid: string, url: string, options: { replace: boolean }): Promise<void> {
    const keep = options.replace ? '' : ' AND recording_url IS NULL';
    await this.db.query(`UPDATE calls SET recording_url = $1 WHERE call_sid = $2${keep}`, [url, callSid]);
  }

  async markFallback(callSid: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE calls SET fallback_at = COALESCE(fallback_at, $1) WHERE call_sid = $2`, [at, callSid]);
  }

  async callState(callSid: string): Promise<{ hasCode: boolean; fallback: boolean }> {
    const [row] = await this.db.query<{ has_code: boolean; fallback: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM codes WHERE call_sid = $1) AS has_code,
              EXISTS (SELECT 1 FROM calls WHERE call_sid = $1 AND fallback_at IS NOT NULL) AS fallback`,
      [callSid],
    );
    return { hasCode: row?.has_code === true, fallback: row?.fallback === true };
  }

  async captureCode(captured: CapturedCode, deliveries: PlannedDelivery[], now: Date): Promise<{ created: boolean }> {
    const created = await this.db.transaction(async (query) => {
      await recordCallWith(query, captured.call, captured.receivedAt);
      await lockCall(query, captured.call.callSid);
      const [code] = await query<{ id: number }>(
        `INSERT INTO codes (call_sid, code, source, received_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (call_sid, code) DO NOTHING RETURNING id`,
        [captured.call.callSid, captured.code, captured.source, captured.receivedAt],
      );
      if (!code) return false;
      if (deliveries.length > 0) {
        const rows = deliveries.map((d) => [
          'code',
          captured.call.callSid,
          code.id,
          d.channel,
          d.to,
          d.sentAt ? 'sent' : 'pending',
          d.sentAt ? 1 : 0,
          d.sentAt ?? null,
          now,
          now,
        ]);
        await query(
          `INSERT INTO deliveries (kind, call_sid, code_id, channel, recipient, status, attempts, sent_at, next_attempt_at, created_at)
           VALUES ${placeholders(rows.length, 10)}`,
          rows.flat(),
        );
      }
      await query(
        `UPDATE deliveries SET status = 'cancelled', claimed_by = NULL, claimed_until = NULL
         WHERE kind = 'missed-call' AND call_sid = $1 AND status = 'pending'`,
        [captured.call.callSid],
      );
      return true;
    });
    return { created: created === true };
  }

  async scheduleMissedCallNotice(callSid: string, recipients: Recipient[], dueAt: Date, now: Date): Promise<boolean> {
    const scheduled = await this.db.transaction(async (query) => {
      // Serialised with captureCode on the call's row: a code stored meanwhile is seen here.
      await lockCall(query, callSid);
      const [known] = await query<{ has_code: boolean }>(`SELECT EXISTS (SELECT 1 FROM codes WHERE call_sid = $1) AS has_code`, [callSid]);
      if (known?.has_code || recipients.length === 0) return false;
      const rows = recipients.map((r) => ['missed-call', callSid, r.channel, r.to, dueAt, now]);
      const inserted = await query(
        `INSERT INTO deliveries (kind, call_sid, channel, recipient, next_attempt_at, created_at)
         VALUES ${placeholders(rows.length, 6)} ON CONFLICT DO NOTHING RETURNING id`,
        rows.flat(),
      );
      return inserted.length > 0;
    });
    return scheduled === true;
  }

  async releaseMissedCallNotice(callSid: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET next_attempt_at = LEAST(next_attempt_at, $1)
       WHERE kind = 'missed-call' AND call_sid = $2 AND status = 'pending' AND attempts = 0`,
      [at, callSid],
    );
  }

  async claimDueDeliveries(claim: Claim, limit: number): Promise<DeliveryJob[]> {
    // SKIP LOCKED: what another instance is claiming right now is left to it; the claim columns,
    // checked again on the locked row, keep what it claimed a moment ago out too.
    const rows = await this.db.transaction(
      (query) =>
        query<DueRow>(
          `WITH claimable AS (
             SELECT id FROM deliveries WHERE ${CLAIMABLE}
             ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
           ), claimed AS (
             UPDATE deliveries d SET claimed_by = $2, claimed_until = $3 FROM claimable WHERE d.id = claimable.id
             RETURNING d.*
           )
           SELECT d.id, d.kind, d.channel, d.recipient, d.attempts, d.created_at,
                  c.call_sid, c.from_number, c.to_number, c.recording_url, c.heard, c.rehearsal,
                  k.code, k.source, k.received_at
           FROM claimed d
           JOIN calls c ON c.call_sid = d.call_sid
           LEFT JOIN codes k ON k.id = d.code_id
           ORDER BY d.next_attempt_at, d.id`,
          [claim.now, claim.worker, claim.until, limit],
        ),
      { synchronousCommit: false },
    );
    return (rows ?? []).map(toJob);
  }

  async renewDeliveryClaims(ids: number[], claim: Claim): Promise<void> {
    if (ids.length === 0) return;
    await this.db.transaction(
      (query) =>
        query(
          `UPDATE deliveries SET claimed_until = $1 WHERE id = ANY($2::bigint[]) AND claimed_by = $3 AND status = 'pending'`,
          [claim.until, ids, claim.worker],
        ),
      { synchronousCommit: false },
    );
  }

  async markDeliverySent(id: number, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = 'sent', attempts = attempts + 1, sent_at = $1, last_error = NULL,
         claimed_by = NULL, claimed_until = NULL
       WHERE id = $2`,
      [at, id],
    );
  }

  async markDeliveryRetry(id: number, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL
       WHERE id = $3 AND status = 'pending'`,
      [error, nextAttemptAt, id],
    );
  }

  async markDeliveryFailed(id: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_error = $1, claimed_by = NULL, claimed_until = NULL
       WHERE id = $2 AND status = 'pending'`,
      [error, id],
    );
  }

  async nextDeliveryDueAt(): Promise<Date | null> {
    const [row] = await this.db.query<{ at: Date | null }>(
      `SELECT MIN(GREATEST(next_attempt_at, claimed_until)) AS at FROM deliveries WHERE status = 'pending'`,
    );
    return row?.at ?? null;
  }
}

/** Records a call the first time it is seen; true when this did. */
async function recordCallWith(query: Query, call: CallInfo, at: Date, forwarding: Forwarding = call.forwarding ?? 'forwarded'): Promise<boolean> {
  const inserted = await query(
    `INSERT INTO calls (call_sid, from_number, to_number, started_at, rehearsal, forwarding) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (call_sid) DO NOTHING RETURNING call_sid`,
    [call.callSid, call.from, call.to, at, call.rehearsal === true, forwarding],
  );
  return inserted.length > 0;
}

async function forwardingOf(query: Query, callSid: string): Promise<Forwarding | undefined> {
  const [row] = await query<{ forwarding: Forwarding }>(`SELECT forwarding FROM calls WHERE call_sid = $1`, [callSid]);
  return row?.forwarding;
}

/** Holds the call's row until the transaction ends: a code and a notice of one call are stored one at a time. */
async function lockCall(query: Query, callSid: string): Promise<void> {
  await query(`SELECT 1 FROM calls WHERE call_sid = $1 FOR UPDATE`, [callSid]);
}
