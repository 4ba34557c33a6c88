import type Database from 'better-sqlite3';
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
import type { SyncOf } from './async-of';
import { SqliteCounters } from './counters';
import { idList } from './id-list';
import { prepared } from './prepared';
import { unsynced } from './unsynced';

const DEAD = `f.status IN ('rejected', 'expired')`;

/** What a forward queued again becomes: pending, due at `@at`, its attempts and give-up age counted afresh. */
const REQUEUE = `UPDATE webhook_forwards SET status = 'pending', attempts = 0, next_attempt_at = @at, requeued_at = @at,
  last_error = NULL, last_status = NULL, given_up_at = NULL, claimed_by = NULL, claimed_until = NULL
  WHERE id IN (SELECT value FROM json_each(@ids))`;

/**
 * Dead letters, replay and backfill on the SQLite file. Replays and backfills commit without waiting
 * for the disk (a batch of a large one would otherwise hold the thread for an fsync): a power cut may
 * lose the last of them, and asking again queues what is still owed.
 */
export class SqliteDeadLetters implements SyncOf<DeadLetterStore> {
  private readonly counters: SqliteCounters;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
  }

  listDeadLetters(query: DeadLetterQuery): DeadLetter[] {
    const where = [DEAD];
    if (query.target !== undefined) where.push('f.target = @target');
    if (query.status !== undefined) where.push('f.status = @status');
    // Read as a range on the index (given_up_at, id), the few at the same time told apart by id.
    if (query.before) where.push('f.given_up_at <= @beforeAt AND (f.given_up_at < @beforeAt OR f.id < @beforeId)');
    const rows = prepared(
        this.db,
        `SELECT f.id, f.target, f.lane, f.status, f.attempts, f.last_status, f.last_error, f.given_up_at, e.key, e.received_at
         FROM webhook_forwards f JOIN webhook_events e ON e.id = f.event_id
         WHERE ${where.join(' AND ')} ORDER BY f.given_up_at DESC, f.id DESC LIMIT @limit`,
      )
      .all({
        target: query.target ?? null,
        status: query.status ?? null,
        beforeAt: query.before?.givenUpAt.getTime() ?? null,
        beforeId: query.before?.id ?? null,
        limit: query.limit,
      }) as DeadLetterRow[];
    return rows.map(toDeadLetter);
  }

  deadLetterCounts(): Array<{ target: string; status: DeadLetterStatus; count: number }> {
    const rows = prepared(this.db, `SELECT name, value FROM webhook_counters WHERE name >= ? AND name < ? ORDER BY name`)
      .all(DEAD_LETTER_COUNTERS.from, DEAD_LETTER_COUNTERS.to) as Array<{ name: string; value: number }>;
    return rows.flatMap((r) => {
      const counter = readDeadLetterCounter(r.name);
      return counter ? [{ ...counter, count: r.value }] : [];
    });
  }

  replayDeadLetters(filter: ReplayFilter, after: number, limit: number, at: Date): RequeueResult {
    const where = [DEAD, 'f.target = @target', 'f.id > @after'];
    if (filter.status !== undefined) where.push('f.status = @status');
    if (filter.eventIds !== undefined) where.push('f.event_id IN (SELECT id FROM webhook_events WHERE key IN (SELECT value FROM json_each(@keys)))');
    return unsynced(this.db, this.db.transaction((): RequeueResult => {
      const ids = prepared(this.db, `SELECT f.id FROM webhook_forwards f WHERE ${where.join(' AND ')} ORDER BY f.id LIMIT @limit`)
        .pluck()
        .all({ target: filter.target, after, status: filter.status ?? null, keys: JSON.stringify(filter.eventIds ?? []), limit }) as number[];
      const queued = this.requeue(ids, at);
      return { queued, next: ids.length < limit ? null : (ids.at(-1) ?? null) };
    }));
  }

  backfillForwards(batch: BackfillBatch, laneOf: (event: string) => string): { queued: number; next: BackfillPosition | null } {
    return unsynced(this.db, this.db.transaction(() => {
      const events = prepared(
          this.db,
          `SELECT e.id, e.received_at,
             CASE WHEN EXISTS (SELECT 1 FROM webhook_forwards f WHERE f.event_id = e.id AND f.target = @target) THEN NULL ELSE e.event END AS event
           FROM webhook_events e
           WHERE e.received_at >= @from AND (e.received_at > @afterAt OR e.id > @afterId)
           ORDER BY e.received_at, e.id LIMIT @limit`,
        )
        .all({
          target: batch.target,
          // A range on the index (received_at, id) from where the last batch stopped.
          from: Math.max(batch.since.getTime(), batch.after?.receivedAt.getTime() ?? 0),
          afterAt: batch.after?.receivedAt.getTime() ?? -1,
          afterId: batch.after?.id ?? 0,
          limit: batch.limit,
        }) as Array<{ id: number; received_at: number; event: string | null }>;
      const insert = prepared(
        this.db,
        `INSERT INTO webhook_forwards (event_id, target, lane, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (event_id, target) DO NOTHING`,
      );
      let queued = 0;
      // In the order they were received: within a lane, forward ids follow it.
      for (const e of events) {
        if (e.event !== null) queued += insert.run(e.id, batch.target, laneOf(e.event), batch.at.getTime(), batch.at.getTime()).changes;
      }
      const dead = prepared(this.db, `SELECT id FROM webhook_forwards WHERE target = ? AND event_id IN (SELECT value FROM json_each(?)) AND status IN ('rejected', 'expired')`)
        .pluck()
        .all(batch.target, idList(events.filter((e) => e.event === null).map((e) => e.id))) as number[];
      queued += this.requeue(dead, batch.at);
      const last = events.at(-1);
      return { queued, next: events.length < batch.limit || !last ? null : { receivedAt: new Date(last.received_at), id: last.id } };
    }));
  }

  /** Queues the dead letters `ids` again, and takes them off their targets' counts; how many there were. */
  private requeue(ids: number[], at: Date): number {
    if (ids.length === 0) return 0;
    // Read first: RETURNING gives the row as it becomes, and the counts need the status it had.
    const requeued = prepared(this.db, `SELECT id, target, status FROM webhook_forwards WHERE id IN (SELECT value FROM json_each(?)) AND status IN ('rejected', 'expired')`)
      .all(idList(ids)) as Array<{ id: number; target: string; status: string }>;
    prepared(this.db, REQUEUE).run({ ids: idList(requeued.map((r) => r.id)), at: at.getTime() });
    for (const change of deadLetterChanges(requeued, -1)) this.counters.bump(change.name, change.by);
    return requeued.length;
  }
}
