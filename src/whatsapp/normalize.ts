import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { WhatsAppEvent } from './event';
import { explainErrors } from './explain-error';
import {
  changeSchema,
  contactSchema,
  entrySchema,
  envelopeSchema,
  messageSchema,
  messagesValueSchema,
  parseItem,
  statusSchema,
  valueMetadataSchema,
} from './payload-schema';
import { payloadLimitProblem } from './payload-limits';

/**
 * Message types Meta documents, and `edit` and `revoke` (a customer edited or deleted a message they
 * sent), seen in recorded webhook traffic; anything else is passed on as `unknown` (its own `type`
 * kept in `data`).
 */
export const KNOWN_MESSAGE_TYPES = new Set([
  'text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'interactive',
  'button', 'reaction', 'order', 'system', 'request_welcome', 'unsupported', 'edit', 'revoke',
]);

export type Normalized = { ok: true; events: WhatsAppEvent[] } | { ok: false; problem: string };

/**
 * Every event of one webhook POST, in the order Meta listed them: every entry, every change,
 * every message, status and error. A body that is not Meta's envelope is a problem to record,
 * not an exception.
 */
export function normalizePayload(body: Buffer, receivedAt: Date): Normalized {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: jsonProblem(body, error) };
  }
  const pastLimit = payloadLimitProblem(text, parsed);
  if (pastLimit) return { ok: false, problem: pastLimit };
  const envelope = envelopeSchema.safeParse(parsed);
  if (!envelope.success) return { ok: false, problem: `not a WhatsApp Business Account payload: ${describe(envelope.error)}` };
  const post = { receivedAt: receivedAt.toISOString(), postHash: createHash('sha256').update(body).digest('hex') };
  return { ok: true, events: envelope.data.entry.flatMap((entry) => entryEvents(entry, post)) };
}

/** An entry or change we cannot read is passed on whole as a field event, never dropped. */
function entryEvents(raw: unknown, post: Post): WhatsAppEvent[] {
  const entry = entrySchema.safeParse(raw);
  if (!entry.success) {
    const id = (raw as { id?: unknown } | null)?.id;
    const wabaId = typeof id === 'string' || typeof id === 'number' ? String(id) : 'unknown';
    return [fieldEvent(raw, { ...post, field: 'unreadable_entry', wabaId, entryTime: null })];
  }
  return entry.data.changes.flatMap((rawChange) => {
    const base = { ...post, wabaId: entry.data.id, entryTime: isoOf(entry.data.time) };
    const change = changeSchema.safeParse(rawChange);
    if (!change.success) return [fieldEvent(rawChange, { ...base, field: 'unreadable_change' })];
    const field = change.data.field;
    const value = field === 'messages' ? messagesValueSchema.safeParse(change.data.value) : undefined;
    // Other fields, and a `messages` value with no list we know (or lists that are not lists),
    // pass on whole: what Meta adds tomorrow still reaches the team.
    return value?.success && hasItems(value.data)
      ? messagesEvents(value.data, { ...base, field })
      : [fieldEvent(change.data.value, { ...base, field })];
  });
}

function hasItems(value: MessagesValue): boolean {
  return value.messages !== undefined || value.statuses !== undefined || value.errors !== undefined;
}

/**
 * Why a body is not JSON, without quoting it: V8's message quotes the text around the error, and
 * an authentic body holds a customer's words, which go neither to the log nor to the database.
 */
function jsonProblem(body: Buffer, error: unknown): string {
  if (body.length === 0) return 'not valid JSON: the body is empty';
  const message = error instanceof Error ? error.message : '';
  const at = /position (\d+)/.exec(message)?.[1];
  if (at) return `not valid JSON: a syntax error at position ${at}`;
  return /end of JSON input/.test(message) ? 'not valid JSON: it ends too early' : 'not valid JSON: a syntax error';
}

interface Post {
  receivedAt: string;
  /** Tells a redelivery (the same bytes) from a new POST, for items with no id or time of their own. */
  postHash: string;
}

interface Base extends Post {
  field: string;
  wabaId: string;
  entryTime: string | null;
}

type MessagesValue = z.infer<typeof messagesValueSchema>;

function messagesEvents(value: MessagesValue, base: Base): WhatsAppEvent[] {
  const phoneNumberId = value.metadata?.phone_number_id ?? null;
  const common = {
    field: base.field,
    wabaId: base.wabaId,
    phoneNumberId,
    displayPhoneNumber: value.metadata?.display_phone_number ?? null,
    receivedAt: base.receivedAt,
  };
  const contacts = (value.contacts ?? []).map((c) => parseItem(contactSchema, c));
  const contactOf = (from: string | undefined) => {
    // A sender without a wa_id (a username) takes the only contact there is; otherwise ids must match.
    const found = from === undefined && contacts.length === 1 ? contacts[0] : contacts.find((c) => c.wa_id === from);
    return found ? { waId: found.wa_id ?? null, name: found.profile?.name ?? null } : null;
  };

  const messages = (value.messages ?? []).map((item): WhatsAppEvent => {
    const m = parseItem(messageSchema, item);
    const type = m.type !== undefined && KNOWN_MESSAGE_TYPES.has(m.type) ? m.type : 'unknown';
    return {
      id: m.id ? `message:${m.id}` : `message:${hashOf(base.field, phoneNumberId, item)}`,
      kind: 'message',
      type,
      ...common,
      timestamp: isoOf(m.timestamp),
      from: m.from ?? null,
      contact: contactOf(m.from),
      ...originalOf(type, m),
      ...(m.errors ? { errors: explainErrors(m.errors) } : {}),
      data: item,
    };
  });

  const statuses = (value.statuses ?? []).map((item): WhatsAppEvent => {
    const s = parseItem(statusSchema, item);
    const status = s.status ?? 'unknown';
    return {
      id: s.id ? `status:${s.id}:${status}` : `status:${hashOf(base.field, phoneNumberId, item)}`,
      kind: 'status',
      type: status,
      ...common,
      timestamp: isoOf(s.timestamp),
      messageId: s.id ?? null,
      recipientId: s.recipient_id ?? null,
      superseded: false,
      ...(s.errors ? { errors: explainErrors(s.errors) } : {}),
      data: item,
    };
  });

  // Value-level errors have no id or timestamp of their own, and `messages` entries carry no time:
  // only the POST's bytes tell Meta's redelivery (same bytes) from the same error occurring again.
  const errors = (value.errors ?? []).map(
    (item): WhatsAppEvent => ({
      id: `error:${hashOf(base.field, phoneNumberId, item, base.postHash)}`,
      kind: 'error',
      type: 'error',
      ...common,
      timestamp: base.entryTime,
      errors: explainErrors([item]),
      data: item,
    }),
  );
  return [...messages, ...statuses, ...errors];
}

/**
 * An edit or a revoke names the message it changes: a receiver finds it by that id (the new
 * content of an edit stays in `data.edit.message`, typed as any message).
 */
function originalOf(type: string, m: z.infer<typeof messageSchema>): Pick<WhatsAppEvent, 'originalMessageId'> {
  if (type === 'edit') return { originalMessageId: m.edit?.original_message_id ?? null };
  if (type === 'revoke') return { originalMessageId: m.revoke?.original_message_id ?? null };
  return {};
}

function fieldEvent(value: unknown, base: Base): WhatsAppEvent {
  const { metadata } = valueMetadataSchema.parse(value);
  // The entry's time tells a new update from a redelivery; without one, only the POST's bytes can.
  const when = base.entryTime ?? base.postHash;
  return {
    id: `field:${hashOf(base.field, base.wabaId, value, when)}`,
    kind: 'field',
    type: base.field,
    field: base.field,
    wabaId: base.wabaId,
    phoneNumberId: metadata?.phone_number_id ?? null,
    displayPhoneNumber: metadata?.display_phone_number ?? null,
    timestamp: base.entryTime,
    receivedAt: base.receivedAt,
    data: value,
  };
}

/** A key for items without an id of their own: the same bytes redelivered give the same key. */
function hashOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** Meta's timestamps are Unix seconds, as a string in items and a number in `entry.time`. */
function isoOf(seconds: string | number | undefined): string | null {
  const n = typeof seconds === 'string' && seconds.trim() !== '' ? Number(seconds) : seconds;
  const date = typeof n === 'number' && Number.isFinite(n) && n > 0 ? new Date(n * 1000) : null;
  // Past the year 275760 a Date is invalid, and toISOString() would throw.
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unknown shape';
  const where = issue.path.length > 0 ? issue.path.join('.') : 'the top level';
  return `${where}: ${issue.message}`;
}
