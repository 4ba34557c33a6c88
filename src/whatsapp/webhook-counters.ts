import { EVENT_KINDS, type EventKind } from './event';

/**
 * The webhook's running totals and single values, by the names the stores keep them under. They
 * outlive pruning: the overview's counts are since the first start, not over the retention period.
 */
export const COUNTERS = {
  /** Stored POSTs dispatched into events. */
  dispatched: 'dispatched',
  /** Stored POSTs that were not a payload we know. */
  invalid: 'invalid',
  /** Distinct events. */
  events: 'events',
  /** Events seen again: Meta's redeliveries. */
  duplicates: 'duplicates',
  /** When the latest new event was dispatched (epoch ms). */
  lastEventAt: 'last_event_at',
  /** When Meta last checked the callback URL (epoch ms). */
  lastVerifiedAt: 'last_verified_at',
} as const;

/**
 * What rehearsals did (`wa-onboard doctor`, `simulate webhook`), counted apart so that none of
 * Meta's counts above, nor its last verification, ever includes one.
 */
export const REHEARSAL_COUNTERS = {
  /** Rehearsal POSTs dispatched (or found unreadable). */
  posts: 'rehearsal:posts',
  /** Distinct rehearsal events. */
  events: 'rehearsal:events',
  /** Rehearsal events seen again. */
  duplicates: 'rehearsal:duplicates',
  /** When the latest new rehearsal event was dispatched (epoch ms). */
  lastEventAt: 'rehearsal:last_event_at',
  /** When a rehearsal last checked the callback URL (epoch ms). */
  lastVerifiedAt: 'rehearsal:last_verified_at',
} as const;

/** Distinct events of one kind. */
export function eventsOfKind(kind: EventKind): string {
  return `events:${kind}`;
}

/** Forwards to `target` that ended so: taken, refused for good, or given up past the retention period. */
export function forwardOutcome(outcome: 'sent' | 'rejected' | 'expired', target: string): string {
  return `${outcome}:${target}`;
}

export const KIND_COUNTERS = EVENT_KINDS.map((kind) => [kind, eventsOfKind(kind)] as const);
