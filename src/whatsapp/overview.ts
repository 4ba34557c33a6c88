import type { WebhookFacts, WebhookStore } from '../store/webhook-store';
import type { EventKind, WhatsAppEvent } from './event';
import type { ExplainedError } from './explain-error';
import { recordedTarget } from './target-name';
import { COUNTERS, forwardOutcome, KIND_COUNTERS, REHEARSAL_COUNTERS } from './webhook-counters';

export interface ForwardingView {
  target: string;
  /** False for a target no longer in FORWARD_URL that is still owed events. */
  configured: boolean;
  backlog: number;
  oldestPendingAt: string | null;
  sent: number;
  rejected: number;
  expired: number;
  lastError: string | null;
}

/** One event as the overview lists it: a failure, or a rehearsal. */
export interface EventSummary {
  eventId: string;
  kind: string;
  type: string;
  phoneNumberId: string | null;
  receivedAt: string;
  errors: ExplainedError[];
}

export type FailureView = EventSummary;

/**
 * What our own commands rehearsed (`wa-onboard doctor`, `simulate webhook`): none of it is in
 * Meta's counts, its last verification or its failures.
 */
export interface RehearsalsView {
  /** When a rehearsal last answered the subscription check (never Meta's verification). */
  lastVerifiedAt: string | null;
  lastEventAt: string | null;
  /** Rehearsal POSTs dispatched, distinct rehearsal events, and rehearsal events seen again. */
  posts: number;
  events: number;
  duplicates: number;
  /** The latest rehearsal events, newest first. */
  latest: EventSummary[];
}

export interface WebhookOverview {
  /** When Meta last checked the callback URL (a rehearsal's check is under `rehearsals`). */
  lastVerifiedAt: string | null;
  /** When the latest new event was dispatched (redeliveries do not count). */
  lastEventAt: string | null;
  counts: {
    /** Authentic POSTs stored, rehearsals left out (as from every count here). */
    stored: number;
    /** Stored POSTs dispatched into events. */
    dispatched: number;
    /** Stored POSTs that were not a payload we know (kept, flagged, acknowledged). */
    invalid: number;
    /** Stored POSTs waiting for dispatch. */
    pending: number;
    /** Distinct events. */
    events: number;
    /** Events seen again (Meta's redeliveries). */
    duplicates: number;
    /** Distinct events of each kind (counted from the release that added them). */
    byKind: Record<EventKind, number>;
  };
  forwarding: ForwardingView[];
  failures: FailureView[];
  rehearsals: RehearsalsView;
}

/** The webhook's overview, as `/api/webhook` and the operator page show it. */
export async function readWebhookOverview(
  webhooks: Pick<WebhookStore, 'webhookFacts'>,
  targets: string[],
  listLimit: number,
): Promise<WebhookOverview> {
  return buildOverview(await webhooks.webhookFacts(targets, listLimit), targets);
}

/**
 * Names and counts what the store holds. Every stored POST is pending, dispatched or invalid, so
 * `stored` is their sum: no instance has to count each POST as it is stored.
 */
export function buildOverview(facts: WebhookFacts, targets: string[]): WebhookOverview {
  const count = (name: string) => facts.counters.get(name) ?? 0;
  const at = (name: string) => {
    const value = facts.counters.get(name);
    return value === undefined ? null : new Date(value).toISOString();
  };
  return {
    lastVerifiedAt: at(COUNTERS.lastVerifiedAt),
    lastEventAt: at(COUNTERS.lastEventAt),
    counts: {
      stored: count(COUNTERS.dispatched) + count(COUNTERS.invalid) + facts.pendingPosts,
      dispatched: count(COUNTERS.dispatched),
      invalid: count(COUNTERS.invalid),
      pending: facts.pendingPosts,
      events: count(COUNTERS.events),
      duplicates: count(COUNTERS.duplicates),
      byKind: Object.fromEntries(KIND_COUNTERS.map(([kind, name]) => [kind, count(name)])) as Record<EventKind, number>,
    },
    forwarding: facts.queues.map((queue) => ({
      // Recorded without credentials already (older releases kept them). Outside the store a
      // target is named by targetName: /api/webhook and the page do so.
      target: recordedTarget(queue.target),
      configured: targets.includes(queue.target),
      backlog: queue.backlog,
      oldestPendingAt: queue.oldestPendingAt?.toISOString() ?? null,
      sent: count(forwardOutcome('sent', queue.target)),
      rejected: count(forwardOutcome('rejected', queue.target)),
      expired: count(forwardOutcome('expired', queue.target)),
      lastError: queue.lastError,
    })),
    failures: facts.failures.map(summaryOf),
    rehearsals: {
      lastVerifiedAt: at(REHEARSAL_COUNTERS.lastVerifiedAt),
      lastEventAt: at(REHEARSAL_COUNTERS.lastEventAt),
      posts: count(REHEARSAL_COUNTERS.posts),
      events: count(REHEARSAL_COUNTERS.events),
      duplicates: count(REHEARSAL_COUNTERS.duplicates),
      latest: facts.rehearsals.map(summaryOf),
    },
  };
}

function summaryOf(e: WhatsAppEvent): EventSummary {
  return { eventId: e.id, kind: e.kind, type: e.type, phoneNumberId: e.phoneNumberId, receivedAt: e.receivedAt, errors: e.errors ?? [] };
}
