import type { ExplainedError } from '../whatsapp/explain-error';
import type { EventKind, WhatsAppEvent } from '../whatsapp/event';

/** Which secret an intake's signature matched; `unchecked` only where checks were turned off. */
export type SignedWith = 'current' | 'previous' | 'unchecked';

/** An authentic POST, exactly as it arrived. */
export interface InboxRecord {
  receivedAt: Date;
  body: Buffer;
  contentType: string | null;
  /** The X-Hub-Signature-256 header as sent, kept so the stored bytes can be checked again. */
  signature: string | null;
  signedWith: SignedWith;
}

/** A stored POST not yet dispatched. */
export interface InboxItem {
  id: number;
  receivedAt: Date;
  body: Buffer;
}

/** What dispatch made of one stored POST: its events, or why it has none. */
export type DispatchOutcome = { inboxId: number; events: WhatsAppEvent[] } | { inboxId: number; problem: string };

export interface DispatchSummary {
  /** Events seen for the first time, as stored (statuses know whether they were superseded). */
  created: WhatsAppEvent[];
  duplicates: number;
  invalid: number;
}

/** One event due to go to one target. `body` is the stored JSON, sent byte for byte on every attempt. */
export interface ForwardJob {
  id: number;
  target: string;
  /** Events of one lane (a phone number id) go to a target in arrival order, one at a time. */
  lane: string;
  attempts: number;
  eventId: string;
  body: string;
  createdAt: Date;
}

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

export interface FailureView {
  eventId: string;
  kind: string;
  type: string;
  phoneNumberId: string | null;
  receivedAt: string;
  errors: ExplainedError[];
}

export interface WebhookOverview {
  lastVerifiedAt: string | null;
  /** When the latest new event was dispatched (redeliveries do not count). */
  lastEventAt: string | null;
  counts: {
    /** Authentic POSTs stored. */
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
}

export interface PruneCounts {
  inbox: number;
  events: number;
  expiredForwards: number;
  /** False when a limit was reached: call again for the rest. */
  done: boolean;
}

/**
 * The webhook's durable state: the inbox of raw POSTs, the deduplicated events, and what is owed
 * to each forwarding target. Asynchronous like `Store`, so a server database can implement it.
 */
export interface WebhookStore {
  /** Stores authentic POSTs in one transaction; durable (synced) when it resolves. */
  appendToInbox(records: InboxRecord[]): Promise<void>;
  /** Stored POSTs not yet dispatched, oldest first. */
  pendingInbox(limit: number): Promise<InboxItem[]>;
  /**
   * In one transaction: marks each POST dispatched (or invalid), stores each event not seen
   * before with one forward per target, and moves each message's latest status forward only.
   */
  recordDispatch(outcomes: DispatchOutcome[], targets: string[], now: Date): Promise<DispatchSummary>;

  /** For each (target, lane) of `targets`, its oldest pending forward, when due at `now`. */
  forwardHeads(targets: string[], now: Date): Promise<ForwardJob[]>;
  /** The oldest pending forward of one lane of one target, when due at `now`. */
  nextInLane(target: string, lane: string, now: Date): Promise<ForwardJob | null>;
  markForwardSent(id: number, at: Date): Promise<void>;
  markForwardRetry(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  /** The target refused the event for good: recorded, and the lane moves on. */
  markForwardRejected(id: number, error: string): Promise<void>;
  /** Every target that has forwards pending, configured or not. */
  pendingTargets(): Promise<string[]>;
  /** When the next forward head is due, if any. */
  nextForwardDueAt(targets: string[]): Promise<Date | null>;

  recordVerification(at: Date): Promise<void>;
  overview(targets: string[], failureLimit: number): Promise<WebhookOverview>;
  latestEvents(limit: number): Promise<WhatsAppEvent[]>;
  /**
   * Deletes a bounded batch of what was received before `before`: dispatched POSTs, events (and with
   * them their dedupe keys and forwards), message statuses. Forwards still pending for those events
   * are counted as expired first.
   */
  prune(before: Date): Promise<PruneCounts>;
}
