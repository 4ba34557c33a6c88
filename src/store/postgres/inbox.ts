import type { StatusMark } from '../../whatsapp/status-order';
import { COUNTERS, REHEARSAL_COUNTERS } from '../../whatsapp/webhook-counters';
import type { DispatchPlan, DispatchResult, InboxDispatch, InboxItem, InboxRecord, KnownState, WebhookStore } from '../webhook-store';
import { bumpCounters, setCounters } from './counters';
import { LOCKS } from './locks';
import { placeholders, type Database, type Query } from './pool';

type InboxPart = Pick<WebhookStore, 'appendToInbox' | 'dispatchInbox' | 'recordVerification'>;

/** The inbox of raw POSTs, written by every instance, and the deduplicated events dispatched from it. */
export class PostgresInbox implements InboxPart {
  constructor(private readonly db: Database) {}

  /**
   * One statement, so one commit (synced) for every POST of the batch. The bodies travel as binary
   * parameters, one per row: an array of bytea would go as hex text, twice the bytes.
   */
  async appendToInbox(records: InboxRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.query(
      `INSERT INTO webhook_inbox (received_at, body, content_type, signature, signed_with, rehearsal) VALUES ${placeholders(records.length, 6)}`,
      records.flatMap((r) => [r.receivedAt, r.body, r.contentType, r.signature, r.signedWith, r.rehearsal]),
    );
  }

  async dispatchInbox(limit: number, dispatch: InboxDispatch): Promise<DispatchResult> {
    // One dispatch at a time across instances (the lock), so forwards are numbered in arrival
    // order; the lock waits rather than skips, so a POST stored while another instance dispatched
    // is seen by this one. Not synced: redone from the inbox after a crash of the server.
    const result = await this.db.transaction(
      async (query): Promise<DispatchResult> => {
        const rows = await query<{ id: number; received_at: Date; body: Buffer; rehearsal: boolean }>(
          `SELECT id, received_at, body, rehearsal FROM webhook_inbox WHERE state = 'pending' ORDER BY id LIMIT $1`,
          [limit],
        );
        if (rows.length === 0) return { posts: 0, outcomes: [], plan: null };
        const items: InboxItem[] = rows.map((r) => ({ id: r.id, receivedAt: r.received_at, body: r.body, rehearsal: r.rehearsal }));
        const outcomes = dispatch.read(items);
        const plan = dispatch.plan(outcomes, await known(query, dispatch.lookups(outcomes)));
        await record(query, plan);
        return { posts: outcomes.length, outcomes, plan };
      },
      { synchronousCommit: false, lock: { key: LOCKS.dispatch, wait: true } },
    );
    return result ?? { posts: 0, outcomes: [], plan: null };
  }

  async recordVerification(at: Date, options: { rehearsal: boolean }): Promise<void> {
    const name = options.rehearsal ? REHEARSAL_COUNTERS.lastVerifiedAt : COUNTERS.lastVerifiedAt;
    await setCounters(this.db.query, [{ name, value: at.getTime() }]);
  }
}

async function known(query: Query, lookups: { keys: string[]; messageIds: string[] }): Promise<KnownState> {
  const keys = lookups.keys.length > 0 ? await query<{ key: string }>(`SELECT key FROM webhook_events WHERE key = ANY($1::text[])`, [lookups.keys]) : [];
  const statuses =
    lookups.messageIds.length > 0
      ? await query<{ message_id: string } & StatusMark>(
          `SELECT message_id, status, timestamp FROM message_statuses WHERE message_id = ANY($1::text[])`,
          [lookups.messageIds],
        )
      : [];
  return {
    keys: new Set(keys.map((k) => k.key)),
    statuses: new Map(statuses.map((s) => [s.message_id, { status: s.status, timestamp: s.timestamp }])),
  };
}

async function record(query: Query, plan: DispatchPlan): Promise<void> {
  await markPosts(query, plan);
  if (plan.events.length > 0) {
    const inserted = await query<{ id: number; key: string }>(
      `INSERT INTO webhook_events (key, inbox_id, kind, type, phone_number_id, failed, received_at, event, rehearsal)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[], $8::text[], $9::boolean[])
       ON CONFLICT (key) DO NOTHING RETURNING id, key`,
      [
        plan.events.map((e) => e.key),
        plan.events.map((e) => e.inboxId),
        plan.events.map((e) => e.kind),
        plan.events.map((e) => e.type),
        plan.events.map((e) => e.phoneNumberId),
        plan.events.map((e) => e.failed),
        plan.events.map((e) => e.receivedAt),
        plan.events.map((e) => e.body),
        plan.events.map((e) => e.rehearsal),
      ],
    );
    // The unique key is the last word: an event already stored is owed to no one again.
    const idOf = new Map(inserted.map((r) => [r.key, r.id]));
    const forwards = plan.events.flatMap((e) => {
      const id = idOf.get(e.key);
      return id === undefined ? [] : e.targets.map((target) => ({ id, target, lane: e.lane }));
    });
    if (forwards.length > 0) {
      // In plan order, so within a lane the forward ids follow arrival order.
      await query(
        `INSERT INTO webhook_forwards (event_id, target, lane, next_attempt_at, created_at)
         SELECT event_id, target, lane, $4, $4 FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS f (event_id, target, lane, n)
         ORDER BY n`,
        [forwards.map((f) => f.id), forwards.map((f) => f.target), forwards.map((f) => f.lane), plan.at],
      );
    }
  }
  if (plan.statuses.length > 0) {
    await query(
      `INSERT INTO message_statuses (message_id, status, timestamp, updated_at)
       SELECT m, s, t, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u (m, s, t)
       ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, timestamp = excluded.timestamp, updated_at = excluded.updated_at`,
      [plan.statuses.map((s) => s.messageId), plan.statuses.map((s) => s.status), plan.statuses.map((s) => s.timestamp), plan.at],
    );
  }
  await bumpCounters(query, plan.counters);
  await setCounters(query, plan.marks);
}

async function markPosts(query: Query, plan: DispatchPlan): Promise<void> {
  const invalid = plan.posts.flatMap((p) => (p.state === 'invalid' ? [p] : []));
  const dispatched = plan.posts.flatMap((p) => (p.state === 'dispatched' ? [p] : []));
  if (invalid.length > 0) {
    await query(
      `UPDATE webhook_inbox i SET state = 'invalid', problem = u.problem, dispatched_at = $3
       FROM unnest($1::bigint[], $2::text[]) AS u (id, problem) WHERE i.id = u.id AND i.state = 'pending'`,
      [invalid.map((p) => p.inboxId), invalid.map((p) => p.problem), plan.at],
    );
  }
  if (dispatched.length > 0) {
    await query(
      `UPDATE webhook_inbox i SET state = 'dispatched', events = u.events, duplicates = u.duplicates, dispatched_at = $4
       FROM unnest($1::bigint[], $2::integer[], $3::integer[]) AS u (id, events, duplicates) WHERE i.id = u.id AND i.state = 'pending'`,
      [dispatched.map((p) => p.inboxId), dispatched.map((p) => p.events), dispatched.map((p) => p.duplicates), plan.at],
    );
  }
}
