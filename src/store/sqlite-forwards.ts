import type Database from 'better-sqlite3';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './sqlite-counters';
import type { ForwardJob, WebhookStore } from './webhook-store';

type ForwardsPart = Pick<
  WebhookStore,
  | 'forwardHeads'
  | 'nextInLane'
  | 'markForwardSent'
  | 'markForwardRetry'
  | 'markForwardRejected'
  | 'pendingTargets'
  | 'nextForwardDueAt'
>;

interface ForwardRow {
  id: number;
  target: string;
  lane: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  key: string;
  event: string;
}

const JOB_COLUMNS = `f.id, f.target, f.lane, f.attempts, f.next_attempt_at, f.created_at, e.key, e.event`;

// The oldest pending forward of each (target, lane): only it may be sent, so a lane keeps its order.
const HEADS = `SELECT MIN(id) FROM webhook_forwards
  WHERE status = 'pending' AND target IN (SELECT value FROM json_each(?)) GROUP BY target, lane`;

/** What is owed to each forwarding target, lane by lane. */
export class SqliteForwards implements SyncOf<ForwardsPart> {
  private readonly counters: SqliteCounters;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
  }

  forwardHeads(targets: string[], now: Date): ForwardJob[] {
    const rows = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
         WHERE f.id IN (${HEADS}) AND f.next_attempt_at <= ? ORDER BY f.id`,
      )
      .all(JSON.stringify(targets), now.getTime()) as ForwardRow[];
    return rows.map(toJob);
  }

  nextInLane(target: string, lane: string, now: Date): ForwardJob | null {
    const row = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
         WHERE f.target = ? AND f.lane = ? AND f.status = 'pending' ORDER BY f.id LIMIT 1`,
      )
      .get(target, lane) as ForwardRow | undefined;
    return row && row.next_attempt_at <= now.getTime() ? toJob(row) : null;
  }

  markForwardSent(id: number, at: Date): void {
    this.finish(id, { status: 'sent', sentAt: at.getTime(), error: null });
  }

  markForwardRetry(id: number, error: string, nextAttemptAt: Date): void {
    this.db
      .prepare(`UPDATE webhook_forwards SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`)
      .run(error, nextAttemptAt.getTime(), id);
  }

  markForwardRejected(id: number, error: string): void {
    this.finish(id, { status: 'rejected', sentAt: null, error });
  }

  pendingTargets(): string[] {
    return pendingTargetsIn(this.db);
  }

  nextForwardDueAt(targets: string[]): Date | null {
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM webhook_forwards WHERE id IN (${HEADS})`)
      .get(JSON.stringify(targets)) as { at: number | null };
    return row.at === null ? null : new Date(row.at);
  }

  /** Ends a pending forward and counts the outcome per target (the count outlives pruning). */
  private finish(id: number, end: { status: 'sent' | 'rejected'; sentAt: number | null; error: string | null }): void {
    this.db.transaction(() => {
      const row = this.db
        .prepare(
          `UPDATE webhook_forwards SET status = ?, sent_at = ?, last_error = ?, attempts = attempts + 1
           WHERE id = ? AND status = 'pending' RETURNING target`,
        )
        .get(end.status, end.sentAt, end.error, id) as { target: string } | undefined;
      if (row) this.counters.bump(`${end.status}:${row.target}`);
    })();
  }
}

/** Every target with forwards pending, configured or not. */
export function pendingTargetsIn(db: Database.Database): string[] {
  const rows = db.prepare(`SELECT DISTINCT target FROM webhook_forwards WHERE status = 'pending'`).all() as Array<{
    target: string;
  }>;
  return rows.map((r) => r.target);
}

function toJob(row: ForwardRow): ForwardJob {
  return {
    id: row.id,
    target: row.target,
    lane: row.lane,
    attempts: row.attempts,
    eventId: row.key,
    body: row.event,
    createdAt: new Date(row.created_at),
  };
}
