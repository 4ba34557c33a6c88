import type { DispatchOutcome, InboxItem } from '../store/webhook-store';
import type { WhatsAppEvent } from './event';
import { normalizePayload } from './normalize';

/**
 * What one stored POST holds: its events, or why it has none. A rehearsal POST's events are
 * marked (`asRehearsal`), and so is its outcome, so dispatch counts it apart from Meta's.
 */
export function readPost(item: InboxItem): DispatchOutcome {
  const outcome = outcomeOf(item);
  if (!item.rehearsal) return outcome;
  return 'events' in outcome ? { ...outcome, events: outcome.events.map(asRehearsal), rehearsal: true } : { ...outcome, rehearsal: true };
}

/**
 * A rehearsal's event: marked, and with an id of its own, so it is never a duplicate of Meta's event
 * of the same id (a real event after it is still new), and a receiver never drops Meta's as a
 * repeat of it (the id is the Idempotency-Key).
 */
export function asRehearsal(event: WhatsAppEvent): WhatsAppEvent {
  return { ...event, id: `rehearsal:${event.id}`, rehearsal: true };
}

function outcomeOf(item: InboxItem): DispatchOutcome {
  try {
    const normalized = normalizePayload(item.body, item.receivedAt);
    return normalized.ok ? { inboxId: item.id, events: normalized.events } : { inboxId: item.id, problem: normalized.problem };
  } catch (error) {
    // A bug of ours must not leave the POST pending forever: it is flagged, and kept for a replay.
    return { inboxId: item.id, problem: `dispatch failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
