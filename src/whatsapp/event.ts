import type { ExplainedError } from './explain-error';

/** What one item of a webhook is: a message, a status of a message we sent, an error, or another field. */
export const EVENT_KINDS = ['message', 'status', 'error', 'field'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * One item of Meta's batch, normalised: what every sink receives. `data` is the item exactly as
 * Meta sent it (a message, a status, an error, or a non-`messages` field's value), so nothing Meta
 * adds is lost; the other properties are what the service itself reads.
 */
export interface WhatsAppEvent {
  /** Stable across redeliveries: the dedupe key, and the idempotency key sent to sinks. */
  id: string;
  kind: EventKind;
  /** Message type (`unknown` when we have not seen it), status value, `error`, or the field name. */
  type: string;
  /** `changes[].field`: `messages`, `message_template_status_update`, ... */
  field: string;
  /** `entry[].id`: the WhatsApp Business Account. */
  wabaId: string;
  /** `value.metadata.phone_number_id`; null for fields without metadata. */
  phoneNumberId: string | null;
  displayPhoneNumber: string | null;
  /** When it happened, per Meta (the item's timestamp or the entry's time), ISO 8601. */
  timestamp: string | null;
  /** When our inbox stored the POST that carried it, ISO 8601. */
  receivedAt: string;
  /** Messages: the sender's WhatsApp id (absent for some username-only senders). */
  from?: string | null;
  /** Messages: the sender's profile from `value.contacts`. */
  contact?: { waId: string | null; name: string | null } | null;
  /** Statuses: the message the status is about. */
  messageId?: string | null;
  recipientId?: string | null;
  /**
   * Edits and revokes (`type` `edit` or `revoke`): the id of the message the customer edited or
   * deleted, from `edit.original_message_id` or `revoke.original_message_id`; null when absent.
   */
  originalMessageId?: string | null;
  /**
   * Statuses: true when a later status of the same message was seen first (Meta does not keep
   * order); the message's latest status stays the later one.
   */
  superseded?: boolean;
  /** Failed statuses, unsupported messages and value errors, explained from the error-code catalog. */
  errors?: ExplainedError[];
  data: unknown;
  /**
   * Only on an event of a POST our own commands made (`wa-onboard simulate webhook`), whose `id`
   * then starts with `rehearsal:`: it is not Meta's, so a receiver can keep it out of its books.
   */
  rehearsal?: true;
}
