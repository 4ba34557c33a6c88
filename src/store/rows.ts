import type { CallView, Channel, CodeSource, CodeView, DeliveryJob, DeliveryKind, DeliveryStatus, DeliveryView, Forwarding } from './call-store';
import type { DeadLetter, DeadLetterStatus, ForwardJob } from './webhook-store';

/**
 * Rows of the call tables as both adapters return them, and their mapping to the store's types.
 * SQLite gives times as epoch milliseconds and JSON as text; PostgreSQL gives `Date`s and parsed
 * `jsonb`: both are read the same way here.
 */
type Time = number | Date;
/** The `heard` column: a JSON array, as text (SQLite) or parsed (PostgreSQL). */
type HeardColumn = string | string[];
/** A flag: 0 or 1 (SQLite), a boolean (PostgreSQL). */
type FlagColumn = number | boolean;

export interface DueRow {
  id: number;
  kind: DeliveryKind;
  channel: Channel;
  recipient: string;
  attempts: number;
  created_at: Time;
  call_sid: string;
  from_number: string;
  to_number: string;
  recording_url: string | null;
  heard: HeardColumn;
  rehearsal: FlagColumn;
  code: string | null;
  source: CodeSource | null;
  received_at: Time | null;
}

export interface CodeRow {
  id: number;
  code: string;
  source: CodeSource;
  call_sid: string;
  received_at: Time;
  from_number: string;
  to_number: string;
  rehearsal: FlagColumn;
  forwarding: Forwarding;
}

export interface CallRow {
  call_sid: string;
  from_number: string;
  to_number: string;
  started_at: Time;
  recording_url: string | null;
  heard: HeardColumn;
  fallback_at: Time | null;
  codes: number;
  rehearsal: FlagColumn;
  forwarding: Forwarding;
}

export interface DeliveryRow {
  channel: Channel;
  recipient: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  sent_at: Time | null;
}

export function toJob(row: DueRow): DeliveryJob {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    recipient: row.recipient,
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
    call: {
      callSid: row.call_sid,
      from: row.from_number,
      to: row.to_number,
      recordingUrl: row.recording_url,
      heard: heardOf(row.heard),
      rehearsal: Boolean(row.rehearsal),
    },
    code:
      row.code !== null && row.source !== null && row.received_at !== null
        ? { code: row.code, source: row.source, receivedAt: new Date(row.received_at) }
        : undefined,
  };
}

export function toCodeView(row: CodeRow, deliveries: DeliveryRow[]): CodeView {
  return {
    code: row.code,
    source: row.source,
    callSid: row.call_sid,
    from: row.from_number,
    to: row.to_number,
    receivedAt: new Date(row.received_at).toISOString(),
    rehearsal: Boolean(row.rehearsal),
    forwarding: row.forwarding,
    deliveries: deliveries.map(toDeliveryView),
  };
}

export function toCallView(row: CallRow, notices: DeliveryRow[]): CallView {
  return {
    callSid: row.call_sid,
    from: row.from_number,
    to: row.to_number,
    startedAt: new Date(row.started_at).toISOString(),
    recordingUrl: row.recording_url,
    heard: heardOf(row.heard),
    fallbackAt: row.fallback_at === null ? null : new Date(row.fallback_at).toISOString(),
    codes: row.codes,
    rehearsal: Boolean(row.rehearsal),
    notices: notices.map(toDeliveryView),
    forwarding: row.forwarding,
  };
}

function toDeliveryView(d: DeliveryRow): DeliveryView {
  return {
    channel: d.channel,
    to: d.recipient,
    status: d.status,
    attempts: d.attempts,
    error: d.last_error,
    sentAt: d.sent_at === null ? null : new Date(d.sent_at).toISOString(),
  };
}

function heardOf(column: HeardColumn): string[] {
  return typeof column === 'string' ? (JSON.parse(column) as string[]) : column;
}

/** A claimed forward with its event, as both adapters select it. */
export interface ForwardRow {
  id: number;
  target: string;
  lane: string;
  attempts: number;
  created_at: Time;
  /** When it was last queued: `COALESCE(requeued_at, created_at)`. */
  queued_at: Time;
  key: string;
  event: string;
}

export function toForwardJob(row: ForwardRow): ForwardJob {
  return {
    id: row.id,
    target: row.target,
    lane: row.lane,
    attempts: row.attempts,
    eventId: row.key,
    body: row.event,
    createdAt: new Date(row.created_at),
    queuedAt: new Date(row.queued_at),
  };
}

/** A dead letter with its event's key and arrival, as both adapters select it. */
export interface DeadLetterRow {
  id: number;
  target: string;
  lane: string;
  status: DeadLetterStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  given_up_at: Time;
  key: string;
  received_at: Time;
}

export function toDeadLetter(row: DeadLetterRow): DeadLetter {
  const givenUpAt = new Date(row.given_up_at);
  return {
    position: { givenUpAt, id: row.id },
    eventId: row.key,
    target: row.target,
    lane: row.lane,
    status: row.status,
    attempts: row.attempts,
    httpStatus: row.last_status,
    error: row.last_error,
    givenUpAt,
    receivedAt: new Date(row.received_at),
  };
}
