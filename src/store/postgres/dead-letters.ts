import { DEAD_LETTER_COUNTERS, deadLetterChanges, readDeadLetterCounter } from '../dead-letter-counter';
import { toDeadLetter, type DeadLetterRow } from '../rows';
import type {
  BackfillBatch,
  BackfillPosition,
  DeadLetter,
  DeadLetterQuery,
  DeadLetterStatus,
  DeadLetterStore,
  ReplayFilter,
  RequeueResult,
} from '../webhook-store';
import { bumpCounters } from './counters';
import type { Database, Query } from './pool';

const DEAD = `f.status IN ('rejected', 'expired')`;

/**
 * A backfill's next batch of events (`$5` from the position `$3`, `$4`, received since `$2`), each
 * with its body, or NULL when the target `$1` already has it. Whether it has it is one seek per
 * event (LATERAL ... LIMIT 1): written as EXISTS, the planner hashed every forward of the table on
 * each batch, 77 ms for 87,000 forwards against 7 ms, and a backfill of 20,000 events took 163 s
 * (npm run bench:backfill). Locked against pruning (which deletes events) until their forwards are in.
 */
export const BACKFILL_EVENTS = `SELECT e.id, e.received_at, CASE WHEN f.id IS NULL THEN e.event END AS event
  FROM (
    SELECT id, received_at, event FROM webhook_events
    WHERE received_at >= $2 AND (received_at, id) > ($3, $4)
    ORDER BY received_at, id LIMIT $5 FOR KEY SHARE
  ) e
  LEFT JOIN LATERAL (SELECT id FROM webhook_forwards WHERE event_id = e.id AND target = $1 LIMIT 1) f ON true
  ORDER BY e.received_at, e.id`;

/**
 * Dead letters, replay and backfill on the shared database, from any instance at once. Replays and
 * backfills commit without waiting for the WAL to reach the disk: a crash of the server may lose
 * the last of them, and asking again queues what is still owed.
 */
export class PostgresDeadLetters implements DeadLetterStore {
  constructor(private readonly db: Database) {}

  async listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]> {
    const params: unknown[] = [query.limit];
    const where = [DEAD];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (query.target !== undefined) where.push(`f.target = ${param(query.target)}`);
    if (query.status !== undefined) where.push(`f.status = ${param(query.status)}`);
    if (query.before) where.push(`(f.given_up_at, f.id) < (${param(query.before.givenUpAt)}, ${param(query.before.id)})`);
    const rows = await this.db.query<DeadLetterRow>(
      `SELECT f.id, f.target, f.lane, f.status, f.attempts, f.last_status, f.last_error, f.given_up_at, e.key, e.received_at
       FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
       WHERE ${where.join(' AND ')} ORDER BY f.given_up_at DESC, f.id DESC LIMIT $1`,
      params,
    );
    return rows.map(toDeadLetter);
  }

  async deadLetterCounts(): Promise<Array<{ target: string; status: DeadLetterStatus; count: number }>> {
    const rows = await this.db.query<{ name: string; value: number }>(
      `SELECT name, value FROM webhook_counters WHERE name >= $1 AND name < $2 ORDER BY name`,
      [DEAD_LETTER_COUNTERS.from, DEAD_LETTER_COUNTERS.to],
    );
    return rows.flatMap((r) => {
      const counter = readDeadLetterCounter(r.name);
      return counter ? [{ ...counter, count: r.value }] : [];
    });
  }

  async replayDeadLetters(filter: ReplayFilter, after: number, limit: number, at: Date): Promise<RequeueResult> {
    const params: unknown[] = [filter.target, after, limit];
    const where = [DEAD, 'f.target = $1', 'f.id > $2'];
    if (filter.status !== undefined) where.push(`f.status = $${params.push(filter.status)}`);
    if (filter.eventIds !== undefined) {
      where.push(`f.event_id IN (SELECT id FROM webhook_events WHERE key = ANY($${params.push(filter.eventIds)}::text[]))`);
    }
    const result = await this.db.transaction(
      async (query): Promise<RequeueResult> => {
        const candidates = await query<{ id: number }>(`SELECT f.id FROM webhook_forwards f WHERE ${where.join(' AND ')} ORDER BY f.id LIMIT $3`, params);
        const ids = candidates.map((c) => c.id);
        const queued = await requeue(query, ids, at);
        return { queued, next: ids.length < limit ? null : (ids.at(-1) ?? null) };
      },
      { synchronousCommit: false },
    );
    return result ?? { queued: 0, next: null };
  }

  async backfillForwards(batch: BackfillBatch, laneOf: (event: string) => string): Promise<{ queued: number; next: BackfillPosition | null }> {
    const result = await this.db.transaction(
      async (query) => {
        const events = await query<{ id: number; received_at: Date; event: string | null }>(
          BACKFILL_EVENTS,
          [batch.target, batch.since, batch.after?.receivedAt ?? new Date(0), batch.after?.id ?? 0, batch.limit],
        );
        const owed = events.filter((e) => e.event !== null);
        // In the order they were received: within a lane, forward ids follow it.
        const inserted = owed.length === 0 ? [] : await query(
          `INSERT INTO webhook_forwards (event_id, target, lane, next_attempt_at, created_at)
           SELECT u.event_id, $1, u.lane, $4, $4 FROM unnest($2::bigint[], $3::text[]) WITH ORDINALITY AS u (event_id, lane, n)
           ORDER BY n ON CONFLICT (event_id, target) DO NOTHING RETURNING id`,
          [batch.target, owed.map((e) => e.id), owed.map((e) => laneOf(e.event as string)), batch.at],
        );
        const had = events.filter((e) => e.event === null).map((e) => e.id);
        const dead = had.length === 0 ? [] : await query<{ id: number }>(
          `SELECT id FROM webhook_forwards WHERE target = $1 AND event_id = ANY($2::bigint[]) AND status IN ('rejected', 'expired')`,
          [batch.target, had],
        );
        const queued = inserted.length + (await requeue(query, dead.map((d) => d.id), batch.at));
        const last = events.at(-1);
        return { queued, next: events.length < batch.limit || !last ? null : { receivedAt: last.received_at, id: last.id } };
      },
      { synchronousCommit: false },
    );
    return result ?? { queued: 0, next: null };
  }
}

/**
 * Queues the dead letters `ids` again (those still dead once locked), and takes them off their
 * targets' counts; how many there were.
 */
async function requeue(query: Query, ids: number[], at: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const requeued = await query<{ target: string; status: string }>(
    `WITH dead AS (
       SELECT id, status FROM webhook_forwards WHERE id = ANY($1::bigint[]) AND status IN ('rejected', 'expired') FOR UPDATE
     )
     UPDATE webhook_forwards f SET status = 'pending', attempts = 0, next_attempt_at = $2, requeued_at = $2,
       last_error = NULL, last_status = NULL, given_up_at = NULL, claimed_by = NULL, claimed_until = NULL
     FROM dead WHERE f.id = dead.id RETURNING f.target, dead.status`,
    [ids, at],
  );
  await bumpCounters(query, deadLetterChanges(requeued, -1));
  return requeued.length;
}
