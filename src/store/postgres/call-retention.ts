import type { CallPruneCounts, CallStore } from '../call-store';
import { LOCKS } from './locks';
import type { Database } from './pool';

type RetentionPart = Pick<CallStore, 'pruneCalls'>;

/** Calls deleted per call of `pruneCalls`: pruning never holds the tables for long. */
const PRUNE_CHUNK = 500;

const NOTHING: CallPruneCounts = { calls: 0, codes: 0, deliveries: 0, done: true };

/** The calls' retention: whole calls older than the period, once nothing of them is owed. */
export class PostgresCallRetention implements RetentionPart {
  constructor(private readonly db: Database) {}

  /** One instance prunes at a time (the pruning lock, taken without waiting); the others skip. */
  async pruneCalls(before: Date): Promise<CallPruneCounts> {
    const counts = await this.db.transaction(
      async (query): Promise<CallPruneCounts> => {
        // A call a code is being stored for right now (its row locked) is left for the next pass.
        const doomed = await query<{ call_sid: string }>(
          `SELECT call_sid FROM calls c WHERE started_at < $1
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.call_sid = c.call_sid AND d.status = 'pending')
             AND NOT EXISTS (SELECT 1 FROM codes k WHERE k.call_sid = c.call_sid AND k.received_at >= $1)
           ORDER BY started_at LIMIT ${PRUNE_CHUNK} FOR UPDATE SKIP LOCKED`,
          [before],
        );
        if (doomed.length === 0) return NOTHING;
        const sids = doomed.map((row) => row.call_sid);
        const deleteFrom = async (table: string) =>
          (await query(`DELETE FROM ${table} WHERE call_sid = ANY($1::text[]) RETURNING 1`, [sids])).length;
        // Children first: the foreign keys hold.
        const deliveries = await deleteFrom('deliveries');
        const codes = await deleteFrom('codes');
        const calls = await deleteFrom('calls');
        return { calls, codes, deliveries, done: doomed.length < PRUNE_CHUNK };
      },
      { lock: { key: LOCKS.prune, wait: false } },
    );
    return counts ?? NOTHING;
  }
}
