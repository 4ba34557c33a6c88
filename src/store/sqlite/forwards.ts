import type Database from 'better-sqlite3';
import type { Claim } from '../claims';
import { toForwardJob, type ForwardRow } from '../rows';
import { deadLetterCounter } from '../dead-letter-counter';
import type { DeadLetterStatus, ForwardJob, ForwardQueue, GivenUp } from '../webhook-store';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './counters';
import { idList } from './id-list';
import { prepared } from './prepared';
import { unsynced } from './unsynced';

interface LaneHead {
  id: number;
  lane: string;
}

/** Claimable: pending, due, and held by no live claim. */
const CLAIMABLE = `status = 'pending' AND next_attempt_at <= @now AND (claimed_until IS NULL OR claimed_until <= @now)`;

/** What is owed to each forwarding target, lane by lane. */
export class SqliteForwards implements SyncOf<ForwardQueue> {
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

  claimForwardHeads(targets: string[], claim: Claim, limit: number): ForwardJob[] {
    return unsynced(this.db, this.db.transaction(() => {
      const ids = prepared(this.db, `SELECT id FROM webhook_forwards WHERE id IN (SELECT value FROM json_each(@heads)) AND ${CLAIMABLE} ORDER BY id LIMIT @limit`)
        .pluck()
        .all({ heads: idList(this.laneHeads(targets)), now: claim.now.getTime(), limit }) as number[];
      return this.claim(ids, claim);
    }));
  }

  claimNextInLane(target: string, lane: string, claim: Claim): ForwardJob | null {
    return unsynced(this.db, this.db.transaction(() => {
      const head = prepared(this.db, `SELECT id FROM webhook_forwards WHERE target = ? AND lane = ? AND status = 'pending' ORDER BY id LIMIT 1`)
        .pluck()
        .get(target, lane) as number | undefined;
      if (head === undefined) return null;
      const claimable = prepared(this.db, `SELECT id FROM webhook_forwards WHERE id = @head AND ${CLAIMABLE}`).pluck().get({
        head,
        now: claim.now.getTime(),
      }) as number | undefined;
      return claimable === undefined ? null : (this.claim([claimable], claim)[0] ?? null);
    }));
  }

  renewForwardClaims(ids: number[], claim: Claim): void {
    if (ids.length === 0) return;
    unsynced(this.db, () =>
      prepared(
          this.db,
          `UPDATE webhook_forwards SET claimed_until = ?
           WHERE id IN (SELECT value FROM json_each(?)) AND claimed_by = ? AND status = 'pending'`,
        )
        .run(claim.until.getTime(), idList(ids), claim.worker),
    );
  }

  releaseForwardClaim(id: number, worker: string): void {
    unsynced(this.db, () =>
      prepared(this.db, `UPDATE webhook_forwards SET claimed_by = NULL, claimed_until = NULL WHERE id = ? AND claimed_by = ?`).run(id, worker),
    );
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

  private claim(ids: number[], claim: Claim): ForwardJob[] {
    if (ids.length === 0) return [];
    prepared(this.db, `UPDATE webhook_forwards SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT value FROM json_each(?))`)
      .run(claim.worker, claim.until.getTime(), idList(ids));
    const rows = prepared(
        this.db,
        `SELECT f.id, f.target, f.lane, f.attempts, f.created_at, COALESCE(f.requeued_at, f.created_at) AS queued_at, e.key, e.event
         FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
         WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.id`,
      )
      .all(idList(ids)) as ForwardRow[];
    return rows.map(toForwardJob);
  }

  markForwardSent(id: number, at: Date, counter: string): void {
    unsynced(this.db, this.db.transaction(() => {
      if (this.end(id, { status: 'sent', sentAt: at.getTime(), error: null, httpStatus: null, givenUpAt: null })) this.counters.bump(counter);
    }));
  }

  markForwardRetry(id: number, error: string, nextAttemptAt: Date): void {
    unsynced(this.db, () =>
      prepared(
          this.db,
          `UPDATE webhook_forwards SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claimed_until = NULL
           WHERE id = ? AND status = 'pending'`,
        )
        .run(error, nextAttemptAt.getTime(), id),
    );
  }

  markForwardGivenUp(id: number, givenUp: GivenUp, counter: string): void {
    const { status, error, httpStatus, at } = givenUp;
    unsynced(this.db, this.db.transaction(() => {
      const target = this.end(id, { status, sentAt: null, error, httpStatus, givenUpAt: at.getTime() });
      if (target === null) return;
      this.counters.bump(counter);
      this.counters.bump(deadLetterCounter(status, target));
    }));
  }

  pendingTargets(): string[] {
    return pendingTargetsIn(this.db);
  }

  nextForwardDueAt(targets: string[]): Date | null {
    const row = prepared(
        this.db,
        `SELECT MIN(MAX(next_attempt_at, COALESCE(claimed_until, 0))) AS at FROM webhook_forwards
         WHERE id IN (SELECT value FROM json_each(?))`,
      )
      .get(idList(this.laneHeads(targets))) as { at: number | null };
    return row.at === null ? null : new Date(row.at);
  }

  /**
   * Ends a pending forward; its target when it was pending (the caller counts the outcome, once),
   * null when it had ended already. Not synced: after a power cut an event whose outcome was lost is
   * sent again (at least once).
   */
  private end(id: number, end: Ending): string | null {
    const row = prepared(
        this.db,
        `UPDATE webhook_forwards SET status = @status, sent_at = @sentAt, last_error = @error, last_status = @httpStatus,
           given_up_at = @givenUpAt, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL
         WHERE id = @id AND status = 'pending' RETURNING target`,
      )
      .get({ ...end, id }) as { target: string } | undefined;
    return row?.target ?? null;
  }
}

interface Ending {
  status: 'sent' | DeadLetterStatus;
  sentAt: number | null;
  error: string | null;
  httpStatus: number | null;
  givenUpAt: number | null;
}

/** Every target with forwards pending, configured or not: one index seek per target, as lane heads are found. */
export function pendingTargetsIn(db: Database.Database): string[] {
  const first = prepared(db, `SELECT target FROM webhook_forwards WHERE status = 'pending' ORDER BY target LIMIT 1`) as Database.Statement<[], { target: string }>;
  const next = prepared(db, `SELECT target FROM webhook_forwards WHERE status = 'pending' AND target > ? ORDER BY target LIMIT 1`) as Database.Statement<
    [string],
    { target: string }
  >;
  const targets: string[] = [];
  for (let row = first.get(); row; row = next.get(row.target)) targets.push(row.target);
  return targets;
}

