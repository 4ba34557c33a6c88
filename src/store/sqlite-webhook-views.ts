import type Database from 'better-sqlite3';
import { EVENT_KINDS, type EventKind, type WhatsAppEvent } from '../whatsapp/event';
import { displayTarget } from '../whatsapp/sinks';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './sqlite-counters';
import { pendingTargetsIn } from './sqlite-forwards';
import type { FailureView, ForwardingView, PruneCounts, WebhookOverview, WebhookStore } from './webhook-store';

type ViewsPart = Pick<WebhookStore, 'overview' | 'latestEvents' | 'prune'>;

/** Rows deleted per table and call: pruning never holds the database for long. */
const PRUNE_CHUNK = 2_000;

/** What the admin API shows of the webhook, and the pruning that keeps its tables bounded. */
export class SqliteWebhookViews implements SyncOf<ViewsPart> {
  private readonly counters: SqliteCounters;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
  }

  overview(targets: string[], failureLimit: number): WebhookOverview {
    const count = (name: string) => this.counters.get(name) ?? 0;
    const at = (name: string) => {
      const value = this.counters.get(name);
      return value === null ? null : new Date(value).toISOString();
    };
    const pending = this.db.prepare(`SELECT COUNT(*) AS n FROM webhook_inbox WHERE state = 'pending'`).get() as { n: number };
    return {
      lastVerifiedAt: at('last_verified_at'),
      lastEventAt: at('last_event_at'),
      counts: {
        stored: count('stored'),
        dispatched: count('dispatched'),
        invalid: count('invalid'),
        pending: pending.n,
        events: count('events'),
        duplicates: count('duplicates'),
        byKind: Object.fromEntries(EVENT_KINDS.map((kind) => [kind, count(`events:${kind}`)])) as Record<EventKind, number>,
      },
      // Configured targets, and any other one that is still owed events (FORWARD_URL changed).
      forwarding: [...new Set([...targets, ...pendingTargetsIn(this.db)])].map((t) => this.forwarding(t, targets.includes(t))),
      failures: this.failures(failureLimit),
    };
  }

  latestEvents(limit: number): WhatsAppEvent[] {
    const rows = this.db.prepare(`SELECT event FROM webhook_events ORDER BY id DESC LIMIT ?`).all(limit) as Array<{
      event: string;
    }>;
    return rows.map((r) => JSON.parse(r.event) as WhatsAppEvent);
  }

  prune(before: Date): PruneCounts {
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
      for (const e of expired) this.counters.bump(`expired:${e.target}`, e.n);
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

  private forwarding(target: string, configured: boolean): ForwardingView {
    const pending = this.db
      .prepare(
        `SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM webhook_forwards WHERE target = ? AND status = 'pending'`,
      )
      .get(target) as { n: number; oldest: number | null };
    const lastError = this.db
      .prepare(
        `SELECT last_error FROM webhook_forwards WHERE target = ? AND last_error IS NOT NULL
         AND status != 'sent' ORDER BY id DESC LIMIT 1`,
      )
      .get(target) as { last_error: string } | undefined;
    return {
      target: displayTarget(target),
      configured,
      backlog: pending.n,
      oldestPendingAt: pending.oldest === null ? null : new Date(pending.oldest).toISOString(),
      sent: this.counters.get(`sent:${target}`) ?? 0,
      rejected: this.counters.get(`rejected:${target}`) ?? 0,
      expired: this.counters.get(`expired:${target}`) ?? 0,
      lastError: lastError?.last_error ?? null,
    };
  }

  private failures(limit: number): FailureView[] {
    const rows = this.db
      .prepare(`SELECT event FROM webhook_events WHERE failed = 1 ORDER BY id DESC LIMIT ?`)
      .all(limit) as Array<{ event: string }>;
    return rows.map((r) => {
      const e = JSON.parse(r.event) as WhatsAppEvent;
      return { eventId: e.id, kind: e.kind, type: e.type, phoneNumberId: e.phoneNumberId, receivedAt: e.receivedAt, errors: e.errors ?? [] };
    });
  }
}
