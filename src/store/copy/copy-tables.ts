/** How a SQLite value becomes a PostgreSQL one (see column-values.ts). */
export type ColumnKind = 'text' | 'integer' | 'time' | 'json' | 'boolean' | 'bytes';

/** One table as `db copy` moves it: the same name and columns on both sides. */
export interface CopiedTable {
  name: string;
  /** The columns copied, in order; claims (`claimed_by`, `claimed_until`) are left behind. */
  columns: ReadonlyArray<readonly [column: string, kind: ColumnKind]>;
  /** What names a row on both sides: its id, or its natural key. */
  key: string;
  /** The key is an identity column: its sequence is moved past the highest id copied. */
  identity: boolean;
  /**
   * For an id key: the columns a row already in the target must share with the source's row of the
   * same id to be that row. Ids are numbers each database hands out on its own, so the same id in a
   * database another service wrote to may be another row; copying around it would tie the source's
   * children (deliveries, forwards) to a stranger.
   */
  sameRowBy: readonly string[];
}

/**
 * Every table of the schema, parents before children (the foreign keys hold at each commit).
 * `calls.seq` is not copied: PostgreSQL numbers it as the calls arrive, and they arrive in rowid
 * order, which is the order SQLite stored them in.
 */
export const COPIED_TABLES: readonly CopiedTable[] = [
  {
    name: 'calls',
    columns: [['call_sid', 'text'], ['from_number', 'text'], ['to_number', 'text'], ['started_at', 'time'], ['recording_url', 'text'], ['heard', 'json'], ['fallback_at', 'time'], ['rehearsal', 'boolean'], ['forwarding', 'text']],
    key: 'call_sid',
    identity: false,
    sameRowBy: [],
  },
  {
    name: 'codes',
    columns: [['id', 'integer'], ['call_sid', 'text'], ['code', 'text'], ['source', 'text'], ['received_at', 'time']],
    key: 'id',
    identity: true,
    sameRowBy: ['call_sid', 'code'],
  },
  {
    name: 'deliveries',
    columns: [
      ['id', 'integer'], ['kind', 'text'], ['call_sid', 'text'], ['code_id', 'integer'], ['channel', 'text'], ['recipient', 'text'], ['status', 'text'],
      ['attempts', 'integer'], ['next_attempt_at', 'time'], ['last_error', 'text'], ['sent_at', 'time'], ['created_at', 'time'],
    ],
    key: 'id',
    identity: true,
    sameRowBy: ['kind', 'call_sid', 'channel', 'recipient'],
  },
  {
    name: 'webhook_inbox',
    columns: [
      ['id', 'integer'], ['received_at', 'time'], ['body', 'bytes'], ['content_type', 'text'], ['signature', 'text'], ['signed_with', 'text'],
      ['state', 'text'], ['problem', 'text'], ['events', 'integer'], ['duplicates', 'integer'], ['dispatched_at', 'time'], ['rehearsal', 'boolean'],
    ],
    key: 'id',
    identity: true,
    sameRowBy: ['received_at', 'signature'],
  },
  {
    name: 'webhook_events',
    columns: [
      ['id', 'integer'], ['key', 'text'], ['inbox_id', 'integer'], ['kind', 'text'], ['type', 'text'], ['phone_number_id', 'text'],
      ['failed', 'boolean'], ['received_at', 'time'], ['event', 'text'], ['rehearsal', 'boolean'],
    ],
    key: 'id',
    identity: true,
    sameRowBy: ['key'],
  },
  {
    name: 'webhook_forwards',
    columns: [
      ['id', 'integer'], ['event_id', 'integer'], ['target', 'text'], ['lane', 'text'], ['status', 'text'], ['attempts', 'integer'],
      ['next_attempt_at', 'time'], ['last_error', 'text'], ['sent_at', 'time'], ['created_at', 'time'],
      ['last_status', 'integer'], ['given_up_at', 'time'], ['requeued_at', 'time'],
    ],
    key: 'id',
    identity: true,
    sameRowBy: ['event_id', 'target'],
  },
  {
    name: 'message_statuses',
    columns: [['message_id', 'text'], ['status', 'text'], ['timestamp', 'text'], ['updated_at', 'time']],
    key: 'message_id',
    identity: false,
    sameRowBy: [],
  },
  {
    name: 'webhook_counters',
    columns: [['name', 'text'], ['value', 'integer']],
    key: 'name',
    identity: false,
    sameRowBy: [],
  },
  {
    name: 'admin_sessions',
    columns: [['token_hash', 'text'], ['created_at', 'time'], ['expires_at', 'time']],
    key: 'token_hash',
    identity: false,
    sameRowBy: [],
  },
];

/** A quoted identifier: `key` and `timestamp` are keywords in both dialects. */
export function quoted(identifier: string): string {
  return `"${identifier}"`;
}
