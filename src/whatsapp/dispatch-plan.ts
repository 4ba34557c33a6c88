import type { DispatchOutcome, DispatchPlan, KnownState, PlannedEvent } from '../store/webhook-store';
import type { WhatsAppEvent } from './event';
import { advancesStatus, type StatusMark } from './status-order';
import { COUNTERS, eventsOfKind, KIND_COUNTERS } from './webhook-counters';

/** What a dispatch must know of the store: which of these events exist, and these messages' statuses. */
export function dispatchLookups(outcomes: DispatchOutcome[]): { keys: string[]; messageIds: string[] } {
  const keys = new Set<string>();
  const messageIds = new Set<string>();
  for (const outcome of outcomes) {
    if (!('events' in outcome)) continue;
    for (const event of outcome.events) {
      keys.add(event.id);
      if (event.kind === 'status' && event.messageId) messageIds.add(event.messageId);
    }
  }
  return { keys: [...keys], messageIds: [...messageIds] };
}

/** Order is kept per phone number; a field without one (a template update, say) keeps it per WABA. */
export function laneOf(event: WhatsAppEvent): string {
  return event.phoneNumberId ?? event.wabaId;
}

/**
 * Decides what a dispatch records, in arrival order: each event not seen before (by its key, in the
 * store or earlier in this batch) is new and owed to every target; a status is `superseded` when
 * the message already has a later one, and otherwise becomes its latest; every POST is counted.
 */
export function planDispatch(outcomes: DispatchOutcome[], known: KnownState, targets: string[], now: Date): DispatchPlan {
  const seen = new Set(known.keys);
  const statuses = new Map<string, StatusMark>(known.statuses);
  const moved = new Set<string>();
  const plan: DispatchPlan = { at: now, posts: [], events: [], statuses: [], counters: [], marks: [], created: [], duplicates: 0, invalid: 0 };
  for (const outcome of outcomes) {
    if ('problem' in outcome) {
      plan.posts.push({ inboxId: outcome.inboxId, state: 'invalid', problem: outcome.problem });
      plan.invalid++;
      continue;
    }
    let fresh = 0;
    for (const event of outcome.events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      fresh++;
      const stored = event.kind === 'status' ? withStatusMoved(event, statuses, moved) : event;
      plan.created.push(stored);
      plan.events.push(plannedEvent(stored, outcome.inboxId, targets));
    }
    const duplicates = outcome.events.length - fresh;
    plan.duplicates += duplicates;
    plan.posts.push({ inboxId: outcome.inboxId, state: 'dispatched', events: fresh, duplicates });
  }
  plan.statuses = [...moved].map((messageId) => ({ messageId, ...(statuses.get(messageId) as StatusMark) }));
  const dispatched = plan.posts.length - plan.invalid;
  plan.counters = [
    { name: COUNTERS.dispatched, by: dispatched },
    { name: COUNTERS.invalid, by: plan.invalid },
    { name: COUNTERS.events, by: plan.created.length },
    { name: COUNTERS.duplicates, by: plan.duplicates },
    ...KIND_COUNTERS.map(([kind]) => ({ name: eventsOfKind(kind), by: plan.created.filter((e) => e.kind === kind).length })),
  ].filter((c) => c.by !== 0);
  if (plan.created.length > 0) plan.marks.push({ name: COUNTERS.lastEventAt, value: now.getTime() });
  return plan;
}

/** A status as stored: superseded when the message already has a later one; otherwise its latest from now on. */
function withStatusMoved(event: WhatsAppEvent, statuses: Map<string, StatusMark>, moved: Set<string>): WhatsAppEvent {
  const mark = { status: event.type, timestamp: event.timestamp };
  const current = event.messageId ? (statuses.get(event.messageId) ?? null) : null;
  const advances = advancesStatus(mark, current);
  if (advances && event.messageId) {
    statuses.set(event.messageId, mark);
    moved.add(event.messageId);
  }
  return { ...event, superseded: !advances };
}

function plannedEvent(event: WhatsAppEvent, inboxId: number, targets: string[]): PlannedEvent {
  return {
    key: event.id,
    inboxId,
    kind: event.kind,
    type: event.type,
    phoneNumberId: event.phoneNumberId,
    failed: Boolean(event.errors && event.errors.length > 0),
    receivedAt: new Date(event.receivedAt),
    body: JSON.stringify(event),
    lane: laneOf(event),
    targets,
  };
}
