import type Database from 'better-sqlite3';
import type { WhatsAppEvent } from '../../whatsapp/event';
import type { PruneCounts, TargetQueue, WebhookFacts, WebhookStore } from '../webhook-store';
import { deadLetterChanges } from '../dead-letter-counter';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './counters';
import { pendingTargetsIn } from './forwards';

type ViewsPart = Pick<WebhookStore, 'webhookFacts' | 'latestEvents' | 'prune'>;

/** Rows deleted per table and call: pruning never holds the database for long. */
const PRUNE_CHUNK = 2_000;

/** What the admin API shows of the webhook, and the pruning that keeps its tables bounded. */
export class SqliteWebhookViews implements SyncOf<ViewsPart> {
  private readonly counters: SqliteCounters;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
  }

  webhookFacts(targets: string[], listLimit: number): WebhookFacts {
    // Meta's POSTs waiting: all of them less the rehearsals, each count read from its partial index.
    const pending = this.db
      .prepare(
        `SELECT (SELECT COUNT(*) FROM webhook_inbox WHERE state = 'pending')
              - (SELECT COUNT(*) FROM webhook_inbox WHERE state = 'pending' AND rehearsal = 1) AS n`,
      )
      .get() as { n: number };
    return {
      counters: this.counters.all(),
      pendingPosts: pending.n,
      // Configured targets, and any other one that is still owed events (FORWARD_URL changed).
      queues: [...new Set([...targets, ...pendingTargetsIn(this.db)])].map((t) => this.queue(t)),
      failures: this.eventsWhere('failed = 1 AND rehearsal = 0', listLimit),
      rehearsals: this.eventsWhere('rehearsal = 1', listLimit),
    };
  }

  latestEvents(limit: number): WhatsAppEvent[] {
    const rows = this.db.prepare(`SELECT event FROM webhook_events ORDER BY id DESC LIMIT ?`).all(limit) as Array<{
      event: string;
    }>;
    return rows.map((r) => JSON.parse(r.event) as WhatsAppEvent);
  }

  prune(before: Date, expiredCounter: (target: string) => string): PruneCounts {
    const at = before.getTime();
    return this.db.transaction((): PruneCounts => {
      const doomed = `SELECT id FROM webhook_events WHERE received_at < ? ORDER BY id LIMIT ${PRUNE_CHUNK}`;
      // Forwards still owed for events this old are given up: counted per target, then deleted with them.
      const expired = this.db
        .prepare(
          `SELECT target, COUNT(*) AS n FROM webhook_forwards
           WHERE status = 'pending' AND event_id IN (${doomed}) GROUP BY target`,
        )
        .all(at) as Array<{ target: string; n: number }>;
      for (const e of expired) this.counters.bump(expiredCounter(e.target), e.n);
      // Dead letters go with their events: each target's count of them goes down by as many.
      const dead = this.db
        .prepare(`DELETE FROM webhook_forwards WHERE event_id IN (${doomed}) AND status IN ('rejected', 'expired') RETURNING target, status`)
        .all(at) as Array<{ target: string; status: string }>;
      for (const change of deadLetterChanges(dead, -1)) this.counters.bump(change.name, change.by);
      const events = this.db.prepare(`DELETE FROM webhook_events WHERE id IN (${doomed})`).run(at).changes;
      // A POST still pending is never deleted: it has not been dispatched yet.
      const inbox = this.db
        .prepare(
          `DELETE FROM webhook_inbox WHERE id IN (SELECT id FROM webhook_inbox
           WHERE received_at < ? AND state != 'pending' ORDER BY id LIMIT ${PRUNE_CHUNK})`,
        )
        .run(at).changes;
      const statuses = this.db
        .prepare(
          `DELETE FROM message_statuses WHERE message_id IN (SELECT message_id FROM message_statuses
           WHERE updated_at < ? LIMIT ${PRUNE_CHUNK})`,
        )
        .run(at).changes;
      const expiredForwards = expired.reduce((sum, e) => sum + e.n, 0);
      const done = events < PRUNE_CHUNK && inbox < PRUNE_CHUNK && statuses < PRUNE_CHUNK;
      return { inbox, events, expiredForwards, done };
    })();
  }

  private queue(target: string): TargetQueue {
    const pending = this.db
      .prepare(
        `SELECT COUNT(*) AS n, MIN(COALESCE(requeued_at, created_at)) AS oldest FROM webhook_forwards WHERE target = ? AND status = 'pending'`,
      )
      .get(target) as { n: number; oldest: number | null };
    const lastError = this.db
      .prepare(
        `SELECT last_error FROM webhook_forwards WHERE target = ? AND last_error IS NOT NULL
         AND status != 'sent' ORDER BY id DESC LIMIT 1`,
      )
      .get(target) as { last_error: string } | undefined;
    return {
      target,
      backlog: pending.n,
      oldestPendingAt: pending.oldest === null ? null : new Date(pending.oldest),
      lastError: lastError?.last_error ?? null,
    };
  }

  /** The latest events matching `where` (each has a partial index), newest first. */
  private eventsWhere(where: string, limit: number): WhatsAppEvent[] {
    const rows = this.db
      .prepare(`SELECT event FROM webhook_events WHERE ${where} ORDER BY id DESC LIMIT ?`)
      .all(limit) as Array<{ event: string }>;
    return rows.map((r) => JSON.parse(r.event) as WhatsAppEvent);
  }
}
