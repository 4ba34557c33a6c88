import type Database from 'better-sqlite3';
import type { CallPruneCounts, CallStore } from '../call-store';
import type { SyncOf } from './async-of';

type RetentionPart = Pick<CallStore, 'pruneCalls'>;

/** Calls deleted per call of `pruneCalls`: pruning never holds the file for long. */
const PRUNE_CHUNK = 500;

/** The calls' retention: whole calls older than the period, once nothing of them is owed. */
export class SqliteCallRetention implements SyncOf<RetentionPart> {
  constructor(private readonly db: Database.Database) {}

  pruneCalls(before: Date): CallPruneCounts {
    const at = before.getTime();
    return this.db.transaction((): CallPruneCounts => {
      const sids = this.db
        .prepare(
          `SELECT call_sid FROM calls c WHERE started_at < ?
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.call_sid = c.call_sid AND d.status = 'pending')
             AND NOT EXISTS (SELECT 1 FROM codes k WHERE k.call_sid = c.call_sid AND k.received_at >= ?)
           ORDER BY started_at LIMIT ${PRUNE_CHUNK}`,
        )
        .pluck()
        .all(at, at) as string[];
      if (sids.length === 0) return { calls: 0, codes: 0, deliveries: 0, done: true };
      // SQLite has no array parameters: one JSON array, read by json_each.
      const ids = JSON.stringify(sids);
      // Children first: the foreign keys are enforced.
      const inCalls = `call_sid IN (SELECT value FROM json_each(?))`;
      const deliveries = this.db.prepare(`DELETE FROM deliveries WHERE ${inCalls}`).run(ids).changes;
      const codes = this.db.prepare(`DELETE FROM codes WHERE ${inCalls}`).run(ids).changes;
      const calls = this.db.prepare(`DELETE FROM calls WHERE ${inCalls}`).run(ids).changes;
      return { calls, codes, deliveries, done: sids.length < PRUNE_CHUNK };
    })();
  }
}
