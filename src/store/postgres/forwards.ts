import type { Claim } from '../claims';
import { toForwardJob, type ForwardRow } from '../rows';
import { deadLetterCounter } from '../dead-letter-counter';
import type { DeadLetterStatus, ForwardJob, ForwardQueue, GivenUp } from '../webhook-store';
import { bumpCounters } from './counters';
import type { Database, Query } from './pool';

/**
 * The oldest pending forward of each lane of the targets in `$1`: only it may be sent, so a lane
 * keeps its order. A loose index scan (one seek per lane on the pending-forwards index), however
 * long the backlog: `DISTINCT ON` would read every pending row on each pass.
 */
const LANE_HEADS = `
  WITH RECURSIVE heads AS (
    SELECT t.target, h.lane, h.id FROM unnest($1::text[]) AS t (target)
    CROSS JOIN LATERAL (
      SELECT lane, id FROM webhook_forwards WHERE status = 'pending' AND target = t.target ORDER BY lane, id LIMIT 1
    ) h
    UNION ALL
    SELECT heads.target, n.lane, n.id FROM heads
    CROSS JOIN LATERAL (
      SELECT lane, id FROM webhook_forwards
      WHERE status = 'pending' AND target = heads.target AND lane > heads.lane ORDER BY lane, id LIMIT 1
    ) n
  )`;

/**
 * Claims the rows of `candidates` that are still claimable once locked, and returns them as jobs.
 * SKIP LOCKED leaves what another instance is claiming right now to it; the conditions, checked
 * again on each locked row, keep out a forward claimed or finished a moment ago.
 */
function claimSql(candidates: string, limit: string): string {
  return `, claimable AS (
      SELECT f.id FROM webhook_forwards f
      WHERE f.id IN (${candidates}) AND f.status = 'pending' AND f.next_attempt_at <= $2
        AND (f.claimed_until IS NULL OR f.claimed_until <= $2)
      ORDER BY f.id LIMIT ${limit} FOR UPDATE SKIP LOCKED
    ), claimed AS (
      UPDATE webhook_forwards f SET claimed_by = $3, claimed_until = $4 FROM claimable WHERE f.id = claimable.id
      RETURNING f.id, f.target, f.lane, f.attempts, f.created_at, COALESCE(f.requeued_at, f.created_at) AS queued_at, f.event_id
    )
    SELECT c.id, c.target, c.lane, c.attempts, c.created_at, c.queued_at, e.key, e.event
    FROM claimed c JOIN webhook_events e ON e.id = c.event_id ORDER BY c.id`;
}

/**
 * Claims the oldest pending forward of the lane `$5` of the target `$1` (a lane's next event). It
 * reads the pending-forwards index from the lane's start (`lane >= $5`, ordered by lane and id: an
 * order only that index gives) and keeps the row if it is still that lane's. With `lane = $5 ORDER
 * BY id` the planner, its statistics taken while much was owed, walked the primary key from the
 * lane's first forward ever, past every one sent since: 29–105 ms per event once a lane had sent
 * 65,000 (npm run bench:backfill), and forwarding fell to about 100 events a second.
 */
export const NEXT_IN_LANE = `WITH lane AS (SELECT 1)${claimSql(
  `SELECT h.id FROM (
     SELECT id, lane FROM webhook_forwards WHERE status = 'pending' AND target = $1 AND lane >= $5 ORDER BY lane, id LIMIT 1
   ) h WHERE h.lane = $5`,
  '1',
)}`;

/** What is owed to each forwarding target, lane by lane, worked by whichever instance claims a lane. */
export class PostgresForwards implements ForwardQueue {
  constructor(private readonly db: Database) {}

  async claimForwardHeads(targets: string[], claim: Claim, limit: number): Promise<ForwardJob[]> {
    if (targets.length === 0) return [];
    return this.claim(`${LANE_HEADS}${claimSql('SELECT id FROM heads', '$5')}`, [targets, claim.now, claim.worker, claim.until, limit]);
  }

  async claimNextInLane(target: string, lane: string, claim: Claim): Promise<ForwardJob | null> {
    const [job] = await this.claim(NEXT_IN_LANE, [target, claim.now, claim.worker, claim.until, lane]);
    return job ?? null;
  }

  private async claim(sql: string, params: unknown[]): Promise<ForwardJob[]> {
    const rows = await this.db.transaction((query) => query<ForwardRow>(sql, params), { synchronousCommit: false });
    return (rows ?? []).map(toForwardJob);
  }

  async renewForwardClaims(ids: number[], claim: Claim): Promise<void> {
    if (ids.length === 0) return;
    await this.unsynced((query) =>
      query(
        `UPDATE webhook_forwards SET claimed_until = $1 WHERE id = ANY($2::bigint[]) AND claimed_by = $3 AND status = 'pending'`,
        [claim.until, ids, claim.worker],
      ),
    );
  }

  async releaseForwardClaim(id: number, worker: string): Promise<void> {
    await this.unsynced((query) =>
      query(`UPDATE webhook_forwards SET claimed_by = NULL, claimed_until = NULL WHERE id = $1 AND claimed_by = $2`, [id, worker]),
    );
  }

  async markForwardSent(id: number, at: Date, counter: string): Promise<void> {
    await this.unsynced(async (query) => {
      const target = await endForward(query, id, { status: 'sent', sentAt: at, error: null, httpStatus: null, givenUpAt: null });
      if (target !== null) await bumpCounters(query, [{ name: counter, by: 1 }]);
    });
  }

  async markForwardRetry(id: number, error: string, nextAttemptAt: Date): Promise<void> {
    await this.unsynced((query) =>
      query(
        `UPDATE webhook_forwards SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, claimed_by = NULL, claimed_until = NULL
         WHERE id = $3 AND status = 'pending'`,
        [error, nextAttemptAt, id],
      ),
    );
  }

  async markForwardGivenUp(id: number, givenUp: GivenUp, counter: string): Promise<void> {
    const { status, error, httpStatus, at } = givenUp;
    await this.unsynced(async (query) => {
      const target = await endForward(query, id, { status, sentAt: null, error, httpStatus, givenUpAt: at });
      if (target === null) return;
      await bumpCounters(query, [
        { name: counter, by: 1 },
        { name: deadLetterCounter(status, target), by: 1 },
      ]);
    });
  }

  async pendingTargets(): Promise<string[]> {
    return pendingTargetsWith(this.db.query);
  }

  async nextForwardDueAt(targets: string[]): Promise<Date | null> {
    if (targets.length === 0) return null;
    const [row] = await this.db.query<{ at: Date | null }>(
      `${LANE_HEADS} SELECT MIN(GREATEST(f.next_attempt_at, f.claimed_until)) AS at FROM webhook_forwards f WHERE f.id IN (SELECT id FROM heads)`,
      [targets],
    );
    return row?.at ?? null;
  }

  private async unsynced(work: (query: Query) => Promise<unknown>): Promise<void> {
    await this.db.transaction(work, { synchronousCommit: false });
  }
}

/**
 * Ends a pending forward; its target when it was pending (the caller counts the outcome, once), null
 * when it had ended already. Not synced: at least once.
 */
async function endForward(
  query: Query,
  id: number,
  end: { status: 'sent' | DeadLetterStatus; sentAt: Date | null; error: string | null; httpStatus: number | null; givenUpAt: Date | null },
): Promise<string | null> {
  const [row] = await query<{ target: string }>(
    `UPDATE webhook_forwards SET status = $1, sent_at = $2, last_error = $3, last_status = $4, given_up_at = $5,
       attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL
     WHERE id = $6 AND status = 'pending' RETURNING target`,
    [end.status, end.sentAt, end.error, end.httpStatus, end.givenUpAt, id],
  );
  return row?.target ?? null;
}

/** Every target with forwards pending, configured or not: one index seek per target. */
export async function pendingTargetsWith(query: Query): Promise<string[]> {
  const rows = await query<{ target: string }>(
    `WITH RECURSIVE targets AS (
       (SELECT target FROM webhook_forwards WHERE status = 'pending' ORDER BY target LIMIT 1)
       UNION ALL
       SELECT n.target FROM targets CROSS JOIN LATERAL (
         SELECT target FROM webhook_forwards WHERE status = 'pending' AND target > targets.target ORDER BY target LIMIT 1
       ) n
     ) SELECT target FROM targets`,
  );
  return rows.map((r) => r.target);
}

