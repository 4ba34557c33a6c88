import type Database from 'better-sqlite3';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './sqlite-counters';
import { unsynced } from './unsynced';
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

interface LaneHead {
  id: number;
  lane: string;
}

/** What is owed to each forwarding target, lane by lane. */
export class SqliteForwards implements SyncOf<ForwardsPart> {
  private readonly counters: SqliteCounters;
  private readonly firstLaneHead: Database.Statement<[string], LaneHead>;
  private readonly nextLaneHead: Database.Statement<[string, string], LaneHead>;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
    // Both are seeks on the pending-forwards index (target, lane, id).
    const queue = `FROM webhook_forwards WHERE status = 'pending' AND target = ?`;
    this.firstLaneHead = db.prepare(`SELECT id, lane ${queue} ORDER BY lane, id LIMIT 1`);
    this.nextLaneHead = db.prepare(`SELECT id, lane ${queue} AND lane > ? ORDER BY lane, id LIMIT 1`);
  }

  forwardHeads(targets: string[], now: Date): ForwardJob[] {
    const rows = this.db
      .prepare(
        `SELECT ${JOB_COLUMNS} FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
         WHERE f.id IN (SELECT value FROM json_each(?)) AND f.next_attempt_at <= ? ORDER BY f.id`,
      )
      .all(JSON.stringify(this.laneHeads(targets)), now.getTime()) as ForwardRow[];
    return rows.map(toJob);
  }

  /**
   * The oldest pending forward of each lane of `targets`: only it may be sent, so a lane keeps its
   * order. One index seek per lane, however long the backlog: a GROUP BY read every pending row,
   * 12 ms per forwarder pass with 80,000 owed to a slow receiver, and a pass follows every dispatch.
   */
  private laneHeads(targets: string[]): number[] {
    const heads: number[] = [];
    for (const target of targets) {
      for (let head = this.firstLaneHead.get(target); head; head = this.nextLaneHead.get(target, head.lane)) heads.push(head.id);
    }
    return heads;
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
    unsynced(this.db, () =>
      this.db
        .prepare(`UPDATE webhook_forwards SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`)
        .run(error, nextAttemptAt.getTime(), id),
    );
  }

  markForwardRejected(id: number, error: string): void {
    this.finish(id, { status: 'rejected', sentAt: null, error });
  }

  pendingTargets(): string[] {
    return pendingTargetsIn(this.db);
  }

  nextForwardDueAt(targets: string[]): Date | null {
    const row = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS at FROM webhook_forwards WHERE id IN (SELECT value FROM json_each(?))`)
      .get(JSON.stringify(this.laneHeads(targets))) as { at: number | null };
    return row.at === null ? null : new Date(row.at);
  }

  /**
   * Ends a pending forward and counts the outcome per target (the count outlives pruning). Not
   * synced: after a power cut an event whose outcome was lost is sent again (at least once).
   */
  private finish(id: number, end: { status: 'sent' | 'rejected'; sentAt: number | null; error: string | null }): void {
    unsynced(this.db, this.db.transaction(() => {
      const row = this.db
        .prepare(
          `UPDATE webhook_forwards SET status = ?, sent_at = ?, last_error = ?, attempts = attempts + 1
           WHERE id = ? AND status = 'pending' RETURNING target`,
        )
        .get(end.status, end.sentAt, end.error, id) as { target: string } | undefined;
      if (row) this.counters.bump(`${end.status}:${row.target}`);
    }));
  }
}

/** Every target with forwards pending, configured or not: one index seek per target, as lane heads are found. */
export function pendingTargetsIn(db: Database.Database): string[] {
  const first = db.prepare<[], { target: string }>(`SELECT target FROM webhook_forwards WHERE status = 'pending' ORDER BY target LIMIT 1`);
  const next = db.prepare<[string], { target: string }>(
    `SELECT target FROM webhook_forwards WHERE status = 'pending' AND target > ? ORDER BY target LIMIT 1`,
  );
  const targets: string[] = [];
  for (let row = first.get(); row; row = next.get(row.target)) targets.push(row.target);
  return targets;
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
