import type { CallView, Channel, CodeSource, CodeView, DeliveryJob, DeliveryKind, DeliveryStatus, DeliveryView } from './store';

/** Rows as SQLite returns them (times in epoch milliseconds), and their mapping to the store's types. */

export interface DueRow {
  id: number;
  kind: DeliveryKind;
  channel: Channel;
  recipient: string;
  attempts: number;
  created_at: number;
  call_sid: string;
  from_number: string;
  to_number: string;
  recording_url: string | null;
  heard: string;
  code: string | null;
  source: CodeSource | null;
  received_at: number | null;
}

export interface CodeRow {
  id: number;
  code: string;
  source: CodeSource;
  call_sid: string;
  received_at: number;
  from_number: string;
  to_number: string;
}

export interface CallRow {
  call_sid: string;
  from_number: string;
  to_number: string;
  started_at: number;
  recording_url: string | null;
  heard: string;
  fallback_at: number | null;
  codes: number;
}

export interface DeliveryRow {
  channel: Channel;
  recipient: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
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
      heard: JSON.parse(row.heard) as string[],
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
    heard: JSON.parse(row.heard) as string[],
    fallbackAt: row.fallback_at === null ? null : new Date(row.fallback_at).toISOString(),
    codes: row.codes,
    notices: notices.map(toDeliveryView),
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
