import type { WhatsAppEvent } from '../../whatsapp/event';
import type { PruneCounts, TargetQueue, WebhookFacts, WebhookStore } from '../webhook-store';
import { deadLetterChanges } from '../dead-letter-counter';
import { allCounters, bumpCounters } from './counters';
import { pendingTargetsWith } from './forwards';
import { LOCKS } from './locks';
import type { Database } from './pool';

type ViewsPart = Pick<WebhookStore, 'webhookFacts' | 'latestEvents' | 'prune'>;

/** Rows deleted per table and call: pruning never holds a table for long. */
const PRUNE_CHUNK = 2_000;

/** What the admin API shows of the webhook, and the pruning that keeps its tables bounded. */
export class PostgresWebhookViews implements ViewsPart {
  constructor(private readonly db: Database) {}

  async webhookFacts(targets: string[], listLimit: number): Promise<WebhookFacts> {
    const { query } = this.db;
    const [counters, [pending], owed, failures, rehearsals] = await Promise.all([
      allCounters(query),
      // Meta's POSTs waiting: all of them less the rehearsals, each count from its partial index.
      query<{ n: number }>(
        `SELECT (SELECT COUNT(*) FROM webhook_inbox WHERE state = 'pending')
              - (SELECT COUNT(*) FROM webhook_inbox WHERE state = 'pending' AND rehearsal) AS n`,
      ),
      pendingTargetsWith(query),
      query<{ event: string }>(`SELECT event FROM webhook_events WHERE failed AND NOT rehearsal ORDER BY id DESC LIMIT $1`, [listLimit]),
      query<{ event: string }>(`SELECT event FROM webhook_events WHERE rehearsal ORDER BY id DESC LIMIT $1`, [listLimit]),
    ]);
    // Configured targets, and any other one that is still owed events (FORWARD_URL changed).
    const all = [...new Set([...targets, ...owed])];
    const queues = all.length === 0 ? [] : await query<{ target: string; backlog: number; oldest: Date | null; last_error: string | null }>(
      `SELECT t.target, q.backlog, q.oldest, e.last_error FROM unnest($1::text[]) WITH ORDINALITY AS t (target, n)
       CROSS JOIN LATERAL (
         SELECT COUNT(*) AS backlog, MIN(COALESCE(requeued_at, created_at)) AS oldest FROM webhook_forwards WHERE target = t.target AND status = 'pending'
       ) q
       LEFT JOIN LATERAL (
         SELECT last_error FROM webhook_forwards WHERE target = t.target AND last_error IS NOT NULL AND status != 'sent'
         ORDER BY id DESC LIMIT 1
       ) e ON true
       ORDER BY t.n`,
      [all],
    );
    return {
      counters,
      pendingPosts: pending?.n ?? 0,
      queues: queues.map((q): TargetQueue => ({ target: q.target, backlog: q.backlog, oldestPendingAt: q.oldest, lastError: q.last_error })),
      failures: failures.map((r) => JSON.parse(r.event) as WhatsAppEvent),
      rehearsals: rehearsals.map((r) => JSON.parse(r.event) as WhatsAppEvent),
    };
  }

  async latestEvents(limit: number): Promise<WhatsAppEvent[]> {
    const rows = await this.db.query<{ event: string }>(`SELECT event FROM webhook_events ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map((r) => JSON.parse(r.event) as WhatsAppEvent);
  }

  /** One instance prunes at a time (an advisory lock taken without waiting); the others skip. */
  async prune(before: Date, expiredCounter: (target: string) => string): Promise<PruneCounts> {
    const counts = await this.db.transaction(
      async (query): Promise<PruneCounts> => {
        const doomed = `SELECT id FROM webhook_events WHERE received_at < $1 ORDER BY received_at, id LIMIT ${PRUNE_CHUNK}`;
        // Forwards still owed for events this old are given up: counted per target, then deleted with them.
        const expired = await query<{ target: string; n: number }>(
          `SELECT target, COUNT(*) AS n FROM webhook_forwards WHERE status = 'pending' AND event_id IN (${doomed}) GROUP BY target`,
          [before],
        );
        // Dead letters go with their events: each target's count of them goes down by as many.
        const dead = await query<{ target: string; status: string }>(
          `DELETE FROM webhook_forwards WHERE event_id IN (${doomed}) AND status IN ('rejected', 'expired') RETURNING target, status`,
          [before],
        );
        await bumpCounters(query, [...expired.map((e) => ({ name: expiredCounter(e.target), by: e.n })), ...deadLetterChanges(dead, -1)]);
        const events = (await query(`DELETE FROM webhook_events WHERE id IN (${doomed}) RETURNING 1`, [before])).length;
        // A POST still pending is never deleted: it has not been dispatched yet.
        const inbox = (
          await query(
            `DELETE FROM webhook_inbox WHERE id IN (
               SELECT id FROM webhook_inbox WHERE received_at < $1 AND state != 'pending' ORDER BY received_at LIMIT ${PRUNE_CHUNK}
             ) RETURNING 1`,
            [before],
          )
        ).length;
        const statuses = (
          await query(
            `DELETE FROM message_statuses WHERE message_id IN (
               SELECT message_id FROM message_statuses WHERE updated_at < $1 LIMIT ${PRUNE_CHUNK}
             ) RETURNING 1`,
            [before],
          )
        ).length;
        const expiredForwards = expired.reduce((sum, e) => sum + e.n, 0);
        return { inbox, events, expiredForwards, done: events < PRUNE_CHUNK && inbox < PRUNE_CHUNK && statuses < PRUNE_CHUNK };
      },
      { lock: { key: LOCKS.prune, wait: false } },
    );
    return counts ?? { inbox: 0, events: 0, expiredForwards: 0, done: true };
  }
}
