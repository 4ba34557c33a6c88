import type Database from 'better-sqlite3';
import { EVENT_KINDS, type WhatsAppEvent } from '../whatsapp/event';
import { advancesStatus, type StatusMark } from '../whatsapp/status-order';
import { SqliteCounters } from './sqlite-counters';
import type { DispatchOutcome, DispatchSummary, InboxItem, InboxRecord, WebhookStore } from './webhook-store';
import type { SyncOf } from './async-of';
import { unsynced } from './unsynced';

type InboxPart = Pick<WebhookStore, 'appendToInbox' | 'pendingInbox' | 'recordDispatch' | 'recordVerification'>;

/** The inbox of raw POSTs and the deduplicated events dispatched from it. */
export class SqliteInbox implements SyncOf<InboxPart> {
  private readonly counters: SqliteCounters;
  private readonly insertInbox: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly insertForward: Database.Statement;
  private readonly statusOf: Database.Statement<[string], StatusMark>;
  private readonly saveStatus: Database.Statement;
  private readonly pending: Database.Statement<[number], { id: number; received_at: number; body: Buffer }>;
  private readonly markInvalid: Database.Statement;
  private readonly markDispatched: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.counters = new SqliteCounters(db);
    this.insertInbox = db.prepare(
      `INSERT INTO webhook_inbox (received_at, body, content_type, signature, signed_with) VALUES (?, ?, ?, ?, ?)`,
    );
    this.insertEvent = db.prepare(
      `INSERT INTO webhook_events (key, inbox_id, kind, type, phone_number_id, failed, received_at, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
    );
    this.insertForward = db.prepare(
      `INSERT INTO webhook_forwards (event_id, target, lane, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.statusOf = db.prepare(`SELECT status, timestamp FROM message_statuses WHERE message_id = ?`);
    this.pending = db.prepare(`SELECT id, received_at, body FROM webhook_inbox WHERE state = 'pending' ORDER BY id LIMIT ?`);
    this.markInvalid = db.prepare(
      `UPDATE webhook_inbox SET state = 'invalid', problem = ?, dispatched_at = ? WHERE id = ? AND state = 'pending'`,
    );
    this.markDispatched = db.prepare(
      `UPDATE webhook_inbox SET state = 'dispatched', events = ?, duplicates = ?, dispatched_at = ?
       WHERE id = ? AND state = 'pending'`,
    );
    this.saveStatus = db.prepare(
      `INSERT INTO message_statuses (message_id, status, timestamp, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, timestamp = excluded.timestamp,
         updated_at = excluded.updated_at`,
    );
  }

  appendToInbox(records: InboxRecord[]): void {
    this.db.transaction(() => {
      for (const r of records) this.insertInbox.run(r.receivedAt.getTime(), r.body, r.contentType, r.signature, r.signedWith);
      this.counters.bump('stored', records.length);
    })();
  }

  pendingInbox(limit: number): InboxItem[] {
    const rows = this.pending.all(limit);
    return rows.map((r) => ({ id: r.id, receivedAt: new Date(r.received_at), body: r.body }));
  }

  recordDispatch(outcomes: DispatchOutcome[], targets: string[], now: Date): DispatchSummary {
    const { markInvalid, markDispatched } = this;
    const dispatch = this.db.transaction((): DispatchSummary => {
      const created: WhatsAppEvent[] = [];
      let duplicates = 0;
      let invalid = 0;
      let dispatched = 0;
      for (const outcome of outcomes) {
        if ('problem' in outcome) {
          invalid += markInvalid.run(outcome.problem, now.getTime(), outcome.inboxId).changes;
          continue;
        }
        let fresh = 0;
        for (const event of outcome.events) {
          const stored = this.storeEvent(event, outcome.inboxId, targets, now);
          if (!stored) continue;
          created.push(stored);
          fresh++;
        }
        const known = outcome.events.length - fresh;
        duplicates += known;
        dispatched += markDispatched.run(fresh, known, now.getTime(), outcome.inboxId).changes;
      }
      // Counted by rows changed: a POST dispatched twice (two dispatchers) is counted once.
      this.counters.bump('dispatched', dispatched);
      this.counters.bump('invalid', invalid);
      this.counters.bump('events', created.length);
      this.counters.bump('duplicates', duplicates);
      for (const kind of EVENT_KINDS) this.counters.bump(`events:${kind}`, created.filter((e) => e.kind === kind).length);
      if (created.length > 0) this.counters.set('last_event_at', now.getTime());
      return { created, duplicates, invalid };
    });
    // Dispatch is rebuilt from the inbox, whose rows were synced before Meta got its 200.
    return unsynced(this.db, dispatch);
  }

  recordVerification(at: Date): void {
    this.counters.set('last_verified_at', at.getTime());
  }

  /** Stores an event seen for the first time, with its forwards; null when its key is known. */
  private storeEvent(event: WhatsAppEvent, inboxId: number, targets: string[], now: Date): WhatsAppEvent | null {
    const current = event.kind === 'status' && event.messageId ? (this.statusOf.get(event.messageId) ?? null) : null;
    const mark = { status: event.type, timestamp: event.timestamp };
    const advances = event.kind === 'status' && advancesStatus(mark, current);
    const stored = event.kind === 'status' ? { ...event, superseded: !advances } : event;
    const inserted = this.insertEvent.run(
      stored.id,
      inboxId,
      stored.kind,
      stored.type,
      stored.phoneNumberId,
      stored.errors && stored.errors.length > 0 ? 1 : 0,
      Date.parse(stored.receivedAt),
      JSON.stringify(stored),
    );
    if (inserted.changes === 0) return null;
    if (advances && event.messageId) this.saveStatus.run(event.messageId, mark.status, mark.timestamp, now.getTime());
    const lane = stored.phoneNumberId ?? stored.wabaId;
    for (const target of targets) this.insertForward.run(inserted.lastInsertRowid, target, lane, now.getTime(), now.getTime());
    return stored;
  }
}
