import type { DispatchOutcome, DispatchPlan, KnownState, PlannedEvent } from '../store/webhook-store';
import type { WhatsAppEvent } from './event';
import { advancesStatus, type StatusMark } from './status-order';
import { COUNTERS, eventsOfKind, KIND_COUNTERS, REHEARSAL_COUNTERS } from './webhook-counters';

/** What a dispatch must know of the store: which of these events exist, and these messages' statuses. */
export function dispatchLookups(outcomes: DispatchOutcome[]): { keys: string[]; messageIds: string[] } {
  const keys = new Set<string>();
  const messageIds = new Set<string>();
  for (const outcome of outcomes) {
    if (!('events' in outcome)) continue;
    for (const event of outcome.events) {
      keys.add(event.id);
      const statusKey = statusKeyOf(event);
      if (statusKey) messageIds.add(statusKey);
    }
  }
  return { keys: [...keys], messageIds: [...messageIds] };
}

/**
 * Where a status's place in its message's order is kept: the message id. A rehearsal's is kept
 * apart, so a rehearsal never moves a real message's status, nor marks a real one superseded.
 */
function statusKeyOf(event: WhatsAppEvent): string | null {
  if (event.kind !== 'status' || !event.messageId) return null;
  return event.rehearsal ? `rehearsal:${event.messageId}` : event.messageId;
}

/** Order is kept per phone number; a field without one (a template update, say) keeps it per WABA. */
export function laneOf(event: WhatsAppEvent): string {
  return event.phoneNumberId ?? event.wabaId;
}

/** What one side of a dispatch (Meta's POSTs, or rehearsals) adds up to. */
interface Tally {
  dispatched: number;
  invalid: number;
  duplicates: number;
  created: WhatsAppEvent[];
}

/**
 * Decides what a dispatch records, in arrival order: each event not seen before (by its key, in the
 * store or earlier in this batch) is new and owed to every target; a status is `superseded` when
 * the message already has a later one, and otherwise becomes its latest; every POST is counted,
 * Meta's and rehearsals' apart.
 */
export function planDispatch(outcomes: DispatchOutcome[], known: KnownState, targets: string[], now: Date): DispatchPlan {
  const seen = new Set(known.keys);
  const statuses = new Map<string, StatusMark>(known.statuses);
  const moved = new Set<string>();
  const plan: DispatchPlan = { at: now, posts: [], events: [], statuses: [], counters: [], marks: [], created: [], duplicates: 0, invalid: 0 };
  const meta: Tally = { dispatched: 0, invalid: 0, duplicates: 0, created: [] };
  const rehearsals: Tally = { dispatched: 0, invalid: 0, duplicates: 0, created: [] };
  for (const outcome of outcomes) {
    const tally = outcome.rehearsal ? rehearsals : meta;
    if ('problem' in outcome) {
      plan.posts.push({ inboxId: outcome.inboxId, state: 'invalid', problem: outcome.problem });
      tally.invalid++;
      continue;
    }
    let fresh = 0;
    for (const event of outcome.events) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      fresh++;
      const stored = event.kind === 'status' ? withStatusMoved(event, statuses, moved) : event;
      plan.created.push(stored);
      tally.created.push(stored);
      plan.events.push(plannedEvent(stored, outcome.inboxId, targets));
    }
    const duplicates = outcome.events.length - fresh;
    tally.duplicates += duplicates;
    tally.dispatched++;
    plan.posts.push({ inboxId: outcome.inboxId, state: 'dispatched', events: fresh, duplicates });
  }
  plan.statuses = [...moved].map((messageId) => ({ messageId, ...(statuses.get(messageId) as StatusMark) }));
  plan.duplicates = meta.duplicates;
  plan.invalid = meta.invalid;
  plan.counters = [...metaCounters(meta), ...rehearsalCounters(rehearsals)].filter((c) => c.by !== 0);
  if (meta.created.length > 0) plan.marks.push({ name: COUNTERS.lastEventAt, value: now.getTime() });
  if (rehearsals.created.length > 0) plan.marks.push({ name: REHEARSAL_COUNTERS.lastEventAt, value: now.getTime() });
  return plan;
}

function metaCounters(meta: Tally): Array<{ name: string; by: number }> {
  return [
    { name: COUNTERS.dispatched, by: meta.dispatched },
    { name: COUNTERS.invalid, by: meta.invalid },
    { name: COUNTERS.events, by: meta.created.length },
    { name: COUNTERS.duplicates, by: meta.duplicates },
    ...KIND_COUNTERS.map(([kind]) => ({ name: eventsOfKind(kind), by: meta.created.filter((e) => e.kind === kind).length })),
  ];
}

function rehearsalCounters(rehearsals: Tally): Array<{ name: string; by: number }> {
  return [
    { name: REHEARSAL_COUNTERS.posts, by: rehearsals.dispatched + rehearsals.invalid },
    { name: REHEARSAL_COUNTERS.events, by: rehearsals.created.length },
    { name: REHEARSAL_COUNTERS.duplicates, by: rehearsals.duplicates },
  ];
}

/** A status as stored: superseded when the message already has a later one; otherwise its latest from now on. */
function withStatusMoved(event: WhatsAppEvent, statuses: Map<string, StatusMark>, moved: Set<string>): WhatsAppEvent {
  const mark = { status: event.type, timestamp: event.timestamp };
  const key = statusKeyOf(event);
  const current = key ? (statuses.get(key) ?? null) : null;
  const advances = advancesStatus(mark, current);
  if (advances && key) {
    statuses.set(key, mark);
    moved.add(key);
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
    rehearsal: event.rehearsal === true,
    receivedAt: new Date(event.receivedAt),
    body: JSON.stringify(event),
    lane: laneOf(event),
    targets,
  };
}
