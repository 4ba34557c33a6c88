import type { EventKind, WhatsAppEvent } from '../whatsapp/event';
import type { StatusMark } from '../whatsapp/status-order';
import type { Claim } from './claims';

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
  /**
   * Sent by our own commands with a valid rehearsal mark (see whatsapp/rehearsal-mark.ts): stored,
   * dispatched and forwarded like Meta's, but kept out of Meta's counts and failures.
   */
  rehearsal: boolean;
}

/** A stored POST not yet dispatched. */
export interface InboxItem {
  id: number;
  receivedAt: Date;
  body: Buffer;
  rehearsal: boolean;
}

/** What dispatch made of one stored POST: its events, or why it has none. `rehearsal`: the POST was one. */
export type DispatchOutcome = ({ inboxId: number; events: WhatsAppEvent[] } | { inboxId: number; problem: string }) & { rehearsal?: boolean };

/** What is already stored that a dispatch decision depends on, read in the dispatch's transaction. */
export interface KnownState {
  /** The event keys (of those asked about) already stored. */
  keys: Set<string>;
  /** The latest status stored for each message asked about. */
  statuses: Map<string, StatusMark>;
}

/** A new event as it is stored, with the forward owed to each target. */
export interface PlannedEvent {
  key: string;
  inboxId: number;
  kind: EventKind;
  type: string;
  phoneNumberId: string | null;
  /** It carries errors (a failed status, a value error, ...): listed among the failures. */
  failed: boolean;
  /** From a rehearsal POST: listed among the rehearsals, never among the failures. */
  rehearsal: boolean;
  receivedAt: Date;
  /** The normalised event as JSON: the body every target receives, byte for byte. */
  body: string;
  /** Order is kept per lane: the phone number id, or the WABA id for fields without one. */
  lane: string;
  targets: string[];
}

/** What one dispatch records, decided by the domain (`planDispatch`); the store only persists it. */
export interface DispatchPlan {
  /** When the dispatch happened. */
  at: Date;
  posts: Array<
    { inboxId: number; state: 'dispatched'; events: number; duplicates: number } | { inboxId: number; state: 'invalid'; problem: string }
  >;
  /** New events, in arrival order (rehearsals included). */
  events: PlannedEvent[];
  /** Each message's latest status after this dispatch, where it moved. */
  statuses: Array<{ messageId: string } & StatusMark>;
  /** Running totals to add to. */
  counters: Array<{ name: string; by: number }>;
  /** Single values to set (the time of the last new event). */
  marks: Array<{ name: string; value: number }>;
  /** The new events as every sink receives them (statuses know whether they were superseded), rehearsals included. */
  created: WhatsAppEvent[];
  /** Meta's redeliveries, and Meta's POSTs we could not read: rehearsals are counted apart (see `counters`). */
  duplicates: number;
  invalid: number;
}

/** The domain's part of a dispatch, called by the store inside its transaction (both pure and synchronous). */
export interface InboxDispatch {
  /** What each stored POST holds. */
  read(items: InboxItem[]): DispatchOutcome[];
  /** Which keys and message ids `plan` needs to know about. */
  lookups(outcomes: DispatchOutcome[]): { keys: string[]; messageIds: string[] };
  plan(outcomes: DispatchOutcome[], known: KnownState): DispatchPlan;
}

/** One dispatch: how many stored POSTs it took (0: none was waiting), and what it recorded. */
export interface DispatchResult {
  posts: number;
  outcomes: DispatchOutcome[];
  plan: DispatchPlan | null;
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
  /** When it was last queued: created, or queued again by a replay or a backfill. Its give-up age counts from here. */
  queuedAt: Date;
}

/** Why a forward was given up for good: its target refused it, or it was still failing past the give-up age. */
export type DeadLetterStatus = 'rejected' | 'expired';
export const DEAD_LETTER_STATUSES: readonly DeadLetterStatus[] = ['rejected', 'expired'];

/** How a forward was given up, as its dead letter keeps it. */
export interface GivenUp {
  status: DeadLetterStatus;
  /** What the last attempt got. */
  error: string;
  /** The target's HTTP status on the last attempt; null when none came (unreachable, timed out, the in-process handler). */
  httpStatus: number | null;
  at: Date;
}

/** A place in the list of dead letters, newest first: by when each was given up, then by forward id. */
export interface DeadLetterPosition {
  givenUpAt: Date;
  id: number;
}

/** A forward given up for good (rejected or expired), kept until its event is pruned. */
export interface DeadLetter {
  position: DeadLetterPosition;
  /** The event's id, which is its Idempotency-Key. */
  eventId: string;
  target: string;
  lane: string;
  status: DeadLetterStatus;
  /** Attempts since it was last queued. */
  attempts: number;
  httpStatus: number | null;
  error: string | null;
  givenUpAt: Date;
  /** When its event was received. */
  receivedAt: Date;
}

export interface DeadLetterQuery {
  target?: string;
  status?: DeadLetterStatus;
  /** Only the dead letters after this place in the list (older ones). */
  before?: DeadLetterPosition;
  limit: number;
}

/** Which dead letters of one target a replay queues again. */
export interface ReplayFilter {
  target: string;
  status?: DeadLetterStatus;
  /** Only these events (by id); absent: every dead letter of the target. */
  eventIds?: string[];
}

/** Where a backfill goes on from: the last event it looked at, in the order events were received. */
export interface BackfillPosition {
  receivedAt: Date;
  id: number;
}

/** One batch of a backfill to one target. */
export interface BackfillBatch {
  target: string;
  /** Events received at or after this time. */
  since: Date;
  /** Where the last batch stopped; null for the first. */
  after: BackfillPosition | null;
  limit: number;
  /** When the forwards are queued (and due). */
  at: Date;
}

/** What one batch of a replay or a backfill did. */
export interface RequeueResult {
  /** Forwards queued (new ones, and dead letters queued again). */
  queued: number;
  /** Where the next batch goes on from; null when there is nothing left. */
  next: number | null;
}

/** A target's queue as stored: the domain names and counts it (`buildOverview`). */
export interface TargetQueue {
  target: string;
  backlog: number;
  oldestPendingAt: Date | null;
  lastError: string | null;
}

/** What the webhook's overview is made of, as stored. */
export interface WebhookFacts {
  /** Running totals and single values by name (see whatsapp/webhook-counters.ts). */
  counters: Map<string, number>;
  /** Stored POSTs waiting for dispatch. */
  pendingPosts: number;
  /** The queues of `targets` and of any other target still owed events. */
  queues: TargetQueue[];
  /** The latest events that carry errors, newest first; never a rehearsal. */
  failures: WhatsAppEvent[];
  /** The latest events from rehearsal POSTs, newest first. */
  rehearsals: WhatsAppEvent[];
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
 * to each forwarding target.
 *
 * Concurrency: any number of instances may call any method at once.
 * - Intake: `appendToInbox` from every instance; each POST is its own row.
 * - Dispatch: one `dispatchInbox` runs at a time across all instances (the others wait their turn),
 *   so events and their forwards are recorded in the order their POSTs were stored. A redelivery
 *   stored by another instance is a duplicate by the unique event key.
 * - Forwarding: a lane (one target, one phone number id) is worked by one instance at a time
 *   through a claim on its head, the only forward of the lane that may be sent. A lane's next
 *   forward becomes its head only once the one before is finished, so each lane goes out in order.
 * - Pruning: one instance at a time; the others skip.
 * - Replay and backfill: from any instance, several at once: a dead letter is queued again by a
 *   conditional write (only while it is one), and an event has one forward per target by constraint.
 */
export interface WebhookStore {
  /** Stores authentic POSTs in one transaction; durable (synced) when it resolves. */
  appendToInbox(records: InboxRecord[]): Promise<void>;
  /**
   * Takes the oldest stored POSTs not yet dispatched (at most `limit`), asks `dispatch` what they
   * hold and what to record, and records it, in one transaction. May skip the sync: it is redone
   * from the inbox after a power cut, and events are deduplicated.
   */
  dispatchInbox(limit: number, dispatch: InboxDispatch): Promise<DispatchResult>;

  /**
   * Claims the head of each lane of `targets` that is due at `claim.now` and held by no live claim,
   * up to `limit`, oldest first. May skip the sync.
   */
  claimForwardHeads(targets: string[], claim: Claim, limit: number): Promise<ForwardJob[]>;
  /** Claims the head of one lane, when it is due and held by no live claim. May skip the sync. */
  claimNextInLane(target: string, lane: string, claim: Claim): Promise<ForwardJob | null>;
  /** Extends the claims `claim.worker` holds on the forwards `ids` to `claim.until`. May skip the sync. */
  renewForwardClaims(ids: number[], claim: Claim): Promise<void>;
  /** Gives up a claim without an attempt (the service is stopping): the forward is due again at once. */
  releaseForwardClaim(id: number, worker: string): Promise<void>;
  /**
   * The target took the event: its lane moves on, `counter` is counted once however often this is
   * called. May skip the sync: after a power cut the event is sent again (at least once).
   */
  markForwardSent(id: number, at: Date, counter: string): Promise<void>;
  /** A failed attempt: tried again at `nextAttemptAt`, the lane waits. May skip the sync. */
  markForwardRetry(id: number, error: string, nextAttemptAt: Date): Promise<void>;
  /**
   * The forward is given up for good (refused by the target, or still failing past the give-up
   * age): kept as a dead letter, `counter` counted once, and the lane moves on. May skip the sync.
   */
  markForwardGivenUp(id: number, givenUp: GivenUp, counter: string): Promise<void>;
  /** Every target that has forwards pending, configured or not. */
  pendingTargets(): Promise<string[]>;
  /** When a lane head of `targets` can next be claimed (due, and no live claim on it), if any. */
  nextForwardDueAt(targets: string[]): Promise<Date | null>;

  /** Notes that Meta checked the callback URL, or that a rehearsal of that check (`wa-onboard doctor`) did. */
  recordVerification(at: Date, options: { rehearsal: boolean }): Promise<void>;
  /**
   * What the overview is made of: counters, the POSTs pending (rehearsals left out), each target's
   * queue, and the latest `listLimit` failures and rehearsal events.
   */
  webhookFacts(targets: string[], listLimit: number): Promise<WebhookFacts>;
  latestEvents(limit: number): Promise<WhatsAppEvent[]>;
  /**
   * Deletes a bounded batch of what was received before `before`: dispatched POSTs, events (and with
   * them their dedupe keys and forwards, dead letters included), message statuses. Forwards still pending for those events
   * are counted first, per target, under the name `expiredCounter(target)` gives. While another
   * instance prunes, it deletes nothing and says `done`.
   */
  prune(before: Date, expiredCounter: (target: string) => string): Promise<PruneCounts>;

  /**
   * Dead letters (forwards given up, rejected or expired), newest first: by when each was given up,
   * then by forward id, each a seek on a partial index.
   */
  listDeadLetters(query: DeadLetterQuery): Promise<DeadLetter[]>;
  /**
   * How many dead letters each target has, by status: kept as forwards change (given up, queued
   * again, pruned), so reading them is a few rows whatever the dead letters number.
   */
  deadLetterCounts(): Promise<Array<{ target: string; status: DeadLetterStatus; count: number }>>;
  /**
   * Queues again, pending and due at `at`, the next `limit` dead letters of `filter` whose forward id
   * is above `after`, in id order, in one transaction. Each keeps its id, so it takes its old place in
   * its lane, and the same stored event. Its attempts start again from 0, and its give-up age from `at`.
   * A dead letter queued again and given up again has the same id: a replay going on by `next` never
   * takes it twice.
   */
  replayDeadLetters(filter: ReplayFilter, after: number, limit: number, at: Date): Promise<RequeueResult>;
  /**
   * One batch of a backfill, in one transaction: of the next `limit` stored events received at or
   * after `since` (in the order they were received, after `after`), each that `target` has neither
   * had nor is owed gets a forward, due at `at` (its lane given by `laneOf`, from the event as
   * stored); a dead letter of it is queued again. One forward per event and target, by constraint.
   */
  backfillForwards(batch: BackfillBatch, laneOf: (event: string) => string): Promise<{ queued: number; next: BackfillPosition | null }>;
}

/** The forwarding queue's part of the port: both adapters implement it in a file of its own. */
export type ForwardQueue = Pick<
  WebhookStore,
  | 'claimForwardHeads'
  | 'claimNextInLane'
  | 'renewForwardClaims'
  | 'releaseForwardClaim'
  | 'markForwardSent'
  | 'markForwardRetry'
  | 'markForwardGivenUp'
  | 'pendingTargets'
  | 'nextForwardDueAt'
>;

/** Dead letters, replay and backfill: both adapters implement them in a file of their own. */
export type DeadLetterStore = Pick<WebhookStore, 'listDeadLetters' | 'deadLetterCounts' | 'replayDeadLetters' | 'backfillForwards'>;
