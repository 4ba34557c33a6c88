import type Database from 'better-sqlite3';
import { COUNTERS, REHEARSAL_COUNTERS } from '../../whatsapp/webhook-counters';
import type { StatusMark } from '../../whatsapp/status-order';
import type { DispatchPlan, DispatchResult, InboxDispatch, InboxItem, InboxRecord, KnownState, WebhookStore } from '../webhook-store';
import type { SyncOf } from './async-of';
import { SqliteCounters } from './counters';
import { unsynced } from './unsynced';
import type { WalSync } from './wal-sync';

type InboxPart = Pick<WebhookStore, 'dispatchInbox' | 'recordVerification'>;

/** The inbox of raw POSTs and the deduplicated events dispatched from it. */
export class SqliteInbox implements SyncOf<InboxPart>, Pick<WebhookStore, 'appendToInbox'> {
  private readonly counters: SqliteCounters;
  private readonly insertInbox: Database.Statement;
  private readonly insertEvent: Database.Statement;
  private readonly insertForward: Database.Statement;
  private readonly saveStatus: Database.Statement;
  private readonly pending: Database.Statement<[number], { id: number; received_at: number; body: Buffer; rehearsal: number }>;
  private readonly knownKeys: Database.Statement<[string], string>;
  private readonly statusesOf: Database.Statement<[string], { message_id: string } & StatusMark>;
  private readonly markInvalid: Database.Statement;
  private readonly markDispatched: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly wal: WalSync,
  ) {
    this.counters = new SqliteCounters(db);
    this.insertInbox = db.prepare(
      `INSERT INTO webhook_inbox (received_at, body, content_type, signature, signed_with, rehearsal) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.insertEvent = db.prepare(
      `INSERT INTO webhook_events (key, inbox_id, kind, type, phone_number_id, failed, rehearsal, received_at, event)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`,
    );
    this.insertForward = db.prepare(
      `INSERT INTO webhook_forwards (event_id, target, lane, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?)`,
    );
    this.pending = db.prepare(`SELECT id, received_at, body, rehearsal FROM webhook_inbox WHERE state = 'pending' ORDER BY id LIMIT ?`);
    this.knownKeys = db.prepare<[string], string>(`SELECT key FROM webhook_events WHERE key IN (SELECT value FROM json_each(?))`).pluck();
    this.statusesOf = db.prepare(
      `SELECT message_id, status, timestamp FROM message_statuses WHERE message_id IN (SELECT value FROM json_each(?))`,
    );
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

  /**
   * Durable when it resolves: committed to the WAL on this thread, then the WAL synced off it
   * (see WalSync), so the many requests of a burst are parsed and checked while the disk works.
   */
  appendToInbox(records: InboxRecord[]): Promise<void> {
    unsynced(this.db, this.db.transaction(() => {
      for (const r of records) this.insertInbox.run(r.receivedAt.getTime(), r.body, r.contentType, r.signature, r.signedWith, r.rehearsal ? 1 : 0);
    }));
    return this.wal.sync();
  }

  dispatchInbox(limit: number, dispatch: InboxDispatch): DispatchResult {
    // One process owns the file, and its one dispatcher runs a batch at a time: no lock to take.
    // Not synced: dispatch is redone from the inbox, whose rows were synced before Meta got its 200.
    return unsynced(this.db, this.db.transaction((): DispatchResult => {
      const items: InboxItem[] = this.pending
        .all(limit)
        .map((r) => ({ id: r.id, receivedAt: new Date(r.received_at), body: r.body, rehearsal: r.rehearsal === 1 }));
      if (items.length === 0) return { posts: 0, outcomes: [], plan: null };
      const outcomes = dispatch.read(items);
      const plan = dispatch.plan(outcomes, this.known(dispatch.lookups(outcomes)));
      this.record(plan);
      return { posts: outcomes.length, outcomes, plan };
    }));
  }

  recordVerification(at: Date, options: { rehearsal: boolean }): void {
    this.counters.set(options.rehearsal ? REHEARSAL_COUNTERS.lastVerifiedAt : COUNTERS.lastVerifiedAt, at.getTime());
  }

  private known(lookups: { keys: string[]; messageIds: string[] }): KnownState {
    const keys = new Set(lookups.keys.length > 0 ? this.knownKeys.all(JSON.stringify(lookups.keys)) : []);
    const statuses = new Map<string, StatusMark>();
    if (lookups.messageIds.length > 0) {
      for (const row of this.statusesOf.all(JSON.stringify(lookups.messageIds))) {
        statuses.set(row.message_id, { status: row.status, timestamp: row.timestamp });
      }
    }
    return { keys, statuses };
  }

  private record(plan: DispatchPlan): void {
    const at = plan.at.getTime();
    for (const post of plan.posts) {
      if (post.state === 'invalid') this.markInvalid.run(post.problem, at, post.inboxId);
      else this.markDispatched.run(post.events, post.duplicates, at, post.inboxId);
    }
    for (const event of plan.events) {
      const inserted = this.insertEvent.run(
        event.key,
        event.inboxId,
        event.kind,
        event.type,
        event.phoneNumberId,
        event.failed ? 1 : 0,
        event.rehearsal ? 1 : 0,
        event.receivedAt.getTime(),
        event.body,
      );
      // The unique key is the last word: an event already stored is owed to no one again.
      if (inserted.changes === 0) continue;
      for (const target of event.targets) this.insertForward.run(inserted.lastInsertRowid, target, event.lane, at, at);
    }
    for (const s of plan.statuses) this.saveStatus.run(s.messageId, s.status, s.timestamp, at);
    for (const c of plan.counters) this.counters.bump(c.name, c.by);
    for (const m of plan.marks) this.counters.set(m.name, m.value);
  }
}
